// Package webhooks delivers p4w's events to the URLs organisations subscribe: it guards the
// targets against server-side request forgery, signs each message the Standard Webhooks way,
// and sends it with a short timeout, no redirects and a capped read of the answer.
package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Resolver looks a host's addresses up; net.DefaultResolver is one, and tests give their own.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Guard decides which targets p4w may send to. A subscriber's URL makes p4w's servers send
// a request, so an unguarded URL would let anyone who may subscribe reach what only those
// servers can: the cloud's metadata service, the database, the cluster's internal services.
// The zero Guard allows public https targets only.
type Guard struct {
	// AllowHTTPLoopback lets http://127.0.0.1 and the like through, for tests and a local
	// receiver (P4W_WEBHOOK_ALLOW_HTTP_LOOPBACK). Never in production.
	AllowHTTPLoopback bool
	// Allow are ranges allowed although private (P4W_WEBHOOK_ALLOW_CIDRS): a receiver inside
	// the trust's own network, say.
	Allow []netip.Prefix
	// Resolver looks hosts up; net.DefaultResolver when nil.
	Resolver Resolver
}

// ErrRefused is the cause of every refusal of the guard.
var ErrRefused = errors.New("webhook target refused")

// metadata are the cloud providers' instance metadata services, refused even inside an
// allowed range: they hand out the server's own credentials.
var metadata = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), // AWS, Azure, GCP, OpenStack
	netip.MustParseAddr("fd00:ec2::254"),   // AWS over IPv6
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
}

// blocked are the ranges no public receiver lives in, beside what netip's predicates name.
var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
}

// CheckAddr refuses an address p4w must not send to, naming why.
func (g *Guard) CheckAddr(ip netip.Addr) error {
	ip = ip.Unmap() // ::ffff:10.0.0.1 is 10.0.0.1
	if ip.Zone() != "" {
		ip = ip.WithZone("")
	}
	for _, m := range metadata {
		if ip == m {
			return fmt.Errorf("%w: %s is a cloud metadata address", ErrRefused, ip)
		}
	}
	if ip.IsLoopback() && g.AllowHTTPLoopback {
		return nil
	}
	for _, p := range g.Allow {
		if p.Contains(ip) {
			return nil
		}
	}
	why := ""
	switch {
	case !ip.IsValid():
		why = "not an address"
	case ip.IsUnspecified():
		why = "unspecified"
	case ip.IsLoopback():
		why = "a loopback address"
	case ip.IsPrivate():
		why = "a private address"
	case ip.IsMulticast():
		why = "a multicast address"
	case ip.IsLinkLocalUnicast():
		why = "a link-local address"
	}
	for _, p := range blocked {
		if why == "" && p.Contains(ip) {
			why = "a reserved address (" + p.String() + ")"
		}
	}
	if why != "" {
		return fmt.Errorf("%w: %s is %s", ErrRefused, ip, why)
	}
	return nil
}

// CheckURL refuses a target URL that is not https (or http to loopback where allowed), has
// credentials in it, or whose host resolves to any address CheckAddr refuses. It is checked
// when a subscription is made or changed; the dialler checks again on every delivery, since
// DNS can change in between.
func (g *Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("%w: not an absolute URL", ErrRefused)
	}
	if u.User != nil {
		return fmt.Errorf("%w: a URL must not hold a user name or password", ErrRefused)
	}
	if u.Fragment != "" {
		return fmt.Errorf("%w: a URL must not have a fragment", ErrRefused)
	}
	host := u.Hostname()
	addrs, err := g.resolve(ctx, host)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !g.AllowHTTPLoopback {
			return fmt.Errorf("%w: must be https", ErrRefused)
		}
		for _, a := range addrs {
			if !a.Unmap().IsLoopback() {
				return fmt.Errorf("%w: http is allowed to loopback addresses only; use https", ErrRefused)
			}
		}
	default:
		return fmt.Errorf("%w: must be https", ErrRefused)
	}
	for _, a := range addrs {
		if err := g.CheckAddr(a); err != nil {
			return err
		}
	}
	return nil
}

// resolve returns host's addresses: host itself when it is one.
func (g *Guard) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{ip}, nil
	}
	if host == "" || strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil // RFC 6761: always loopback
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("%w: %s does not resolve", ErrRefused, host)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%w: %s has no address", ErrRefused, host)
	}
	return addrs, nil
}

// DialContext is the transport's dialler: it resolves the host itself, refuses the target if
// any address is refused, and dials the first that answers, by address, so that what was
// checked is what is dialled. Control checks once more on the socket itself.
func (g *Guard) DialContext(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		addrs, err := g.resolve(ctx, host)
		if err != nil {
			return nil, err
		}
		for _, a := range addrs {
			if err := g.CheckAddr(a); err != nil {
				return nil, err
			}
		}
		var last error
		for _, a := range addrs {
			c, err := d.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
			if err == nil {
				return c, nil
			}
			last = err
		}
		return nil, last
	}
}

// Control is a net.Dialer's Control hook: it refuses a connection to an address the guard
// refuses, on the address actually dialled, whatever resolved it.
func (g *Guard) Control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrRefused, address)
	}
	return g.CheckAddr(ap.Addr())
}
