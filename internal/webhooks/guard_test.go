package webhooks_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/p4w-nhs/p4w/internal/webhooks"
)

// fakeDNS answers each host with fixed addresses; swap changes them, as a rebinding attacker's
// DNS does between the check at subscription and the delivery.
type fakeDNS struct {
	hosts atomic.Pointer[map[string][]string]
}

func newDNS(hosts map[string][]string) *fakeDNS {
	d := &fakeDNS{}
	d.hosts.Store(&hosts)
	return d
}

func (d *fakeDNS) swap(hosts map[string][]string) { d.hosts.Store(&hosts) }

func (d *fakeDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	addrs, ok := (*d.hosts.Load())[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	var out []netip.Addr
	for _, a := range addrs {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

func TestGuardRefusesTargetsInsideTheNetwork(t *testing.T) {
	t.Parallel()
	dns := newDNS(map[string][]string{
		"hr.example.org":       {"93.184.216.34"},
		"metadata.example.org": {"169.254.169.254"},
		"mixed.example.org":    {"93.184.216.34", "10.1.2.3"}, // one bad address is enough to refuse
		"v6.example.org":       {"2606:2800:220:1:248:1893:25c8:1946"},
		"ula.example.org":      {"fd12:3456::1"},
		"mapped.example.org":   {"::ffff:192.168.1.1"},
		"cgnat.example.org":    {"100.64.0.1"},
	})
	g := &webhooks.Guard{Resolver: dns}
	for _, tc := range []struct {
		url  string
		want string // "" allowed; otherwise a part of the refusal
	}{
		{"https://hr.example.org/hook", ""},
		{"https://v6.example.org/hook", ""},
		{"https://93.184.216.34/hook", ""},
		{"http://hr.example.org/hook", "must be https"},
		{"ftp://hr.example.org/hook", "must be https"},
		{"https://user:pw@hr.example.org/hook", "user name"},
		{"https://127.0.0.1/hook", "loopback"},
		{"https://localhost:8443/hook", "loopback"},
		{"https://[::1]/hook", "loopback"},
		{"https://10.0.0.7/hook", "private"},
		{"https://172.16.5.4/hook", "private"},
		{"https://192.168.0.10/hook", "private"},
		{"https://169.254.169.254/latest/meta-data/", "metadata"},
		{"https://metadata.example.org/", "metadata"},
		{"https://[fd00:ec2::254]/", "metadata"},
		{"https://169.254.1.1/", "link-local"},
		{"https://[fe80::1]/", "link-local"},
		{"https://ula.example.org/", "private"}, // IPv6 unique-local
		{"https://mapped.example.org/", "private"},
		{"https://cgnat.example.org/", "100.64.0.0/10"},
		{"https://0.0.0.0/", "unspecified"},
		{"https://224.0.0.1/", "multicast"},
		{"https://mixed.example.org/", "private"},
		{"https://nowhere.example.org/", "does not resolve"},
		{"not a url", "absolute URL"},
	} {
		err := g.CheckURL(context.Background(), tc.url)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s refused: %v", tc.url, err)
		case tc.want != "" && (err == nil || !errors.Is(err, webhooks.ErrRefused) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want a refusal naming %q", tc.url, err, tc.want)
		}
	}
}

func TestGuardSettingsAllowLoopbackOverHTTPAndNamedRanges(t *testing.T) {
	t.Parallel()
	g := &webhooks.Guard{AllowHTTPLoopback: true, Allow: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")},
		Resolver: newDNS(map[string][]string{"inside.trust.example": {"10.20.3.4"}, "other.trust.example": {"10.21.0.1"}})}
	for _, ok := range []string{"http://127.0.0.1:8080/hook", "http://localhost/hook", "https://inside.trust.example/hook", "https://10.20.9.9/"} {
		if err := g.CheckURL(context.Background(), ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://inside.trust.example/hook", "https://other.trust.example/", "https://169.254.169.254/"} {
		if err := g.CheckURL(context.Background(), bad); err == nil {
			t.Errorf("%s allowed", bad)
		}
	}
	// Even an allowed range that covers it does not open the metadata service.
	wide := &webhooks.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("169.254.0.0/16")}}
	if err := wide.CheckURL(context.Background(), "https://169.254.169.254/"); err == nil {
		t.Error("the metadata address passed inside an allowed range")
	}
}

func TestGuardControlChecksTheAddressDialled(t *testing.T) {
	t.Parallel()
	g := &webhooks.Guard{}
	for _, addr := range []string{"127.0.0.1:443", "10.0.0.1:443", "[::1]:443", "169.254.169.254:80"} {
		if err := g.Control("tcp", addr, nil); !errors.Is(err, webhooks.ErrRefused) {
			t.Errorf("Control(%s) = %v, want a refusal", addr, err)
		}
	}
	if err := g.Control("tcp", "93.184.216.34:443", nil); err != nil {
		t.Errorf("Control of a public address: %v", err)
	}
}
