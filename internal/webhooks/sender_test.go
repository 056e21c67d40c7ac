package webhooks_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/p4w-nhs/p4w/internal/webhooks"
)

var loopback = &webhooks.Guard{AllowHTTPLoopback: true}

// TestSignedMessagesVerifyWithTheStandardWebhooksLibrary: a receiver written with the
// specification's own library, as an HR system's would be, accepts what p4w sends, and
// refuses it with another secret or a body changed on the way.
func TestSignedMessagesVerifyWithTheStandardWebhooksLibrary(t *testing.T) {
	t.Parallel()
	secret := webhooks.NewSecret()
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q is not in the whsec_ form", secret)
	}
	receiver, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	stranger, _ := standardwebhooks.NewWebhook(webhooks.NewSecret())
	type got struct {
		body   []byte
		header http.Header
	}
	arrived := make(chan got, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		arrived <- got{b, r.Header.Clone()}
		if receiver.Verify(b, r.Header) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	org := uuid.Must(uuid.NewV7())
	e := webhooks.Event{Seq: 42, Type: "outcome.created", ResourceType: "outcome", ResourceID: uuid.NewString(),
		OrganisationID: org, Fields: []string{"destination", "ilr_code"}, At: time.Now()}
	res := webhooks.NewSender(loopback, 5*time.Second).Send(context.Background(), srv.URL+"/hook", secret,
		webhooks.Message{ID: e.MessageID(), At: time.Now(), Body: e.Body()})
	if res.Err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("send: %d %v (the receiver's library refused the signature?)", res.StatusCode, res.Err)
	}
	g := <-arrived
	if g.header.Get("webhook-id") != "msg_42" || g.header.Get("webhook-timestamp") == "" || !strings.HasPrefix(g.header.Get("webhook-signature"), "v1,") {
		t.Errorf("headers: %v", g.header)
	}
	if stranger.Verify(g.body, g.header) == nil {
		t.Error("another secret verified the message")
	}
	tampered := []byte(strings.Replace(string(g.body), "outcome.created", "outcome.deleted", 1))
	if receiver.Verify(tampered, g.header) == nil {
		t.Error("a changed body verified")
	}
	var body struct {
		Type      string `json:"type"`
		Timestamp string `json:"timestamp"`
		Data      struct {
			ResourceType   string    `json:"resource_type"`
			ResourceID     string    `json:"resource_id"`
			OrganisationID uuid.UUID `json:"organisation_id"`
			Fields         []string  `json:"fields"`
		} `json:"data"`
	}
	if err := json.Unmarshal(g.body, &body); err != nil || body.Type != "outcome.created" || body.Data.OrganisationID != org ||
		body.Data.ResourceID != e.ResourceID || len(body.Data.Fields) != 2 {
		t.Errorf("body %s (%v)", g.body, err)
	}
}

func TestSenderFollowsNoRedirect(t *testing.T) {
	t.Parallel()
	var followed atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { followed.Store(true) }))
	defer target.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	res := webhooks.NewSender(loopback, 5*time.Second).Send(context.Background(), srv.URL, webhooks.NewSecret(),
		webhooks.Message{ID: "msg_1", At: time.Now(), Body: []byte(`{}`)})
	if res.Err == nil || res.StatusCode != http.StatusTemporaryRedirect || !strings.Contains(res.Err.Error(), "redirect") {
		t.Errorf("a redirect counted as %d %v, want a failure", res.StatusCode, res.Err)
	}
	if followed.Load() {
		t.Error("the redirect was followed")
	}
}

func TestSenderGivesUpOnAHangingReceiverAndCapsWhatItReads(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	res := webhooks.NewSender(loopback, 300*time.Millisecond).Send(context.Background(), hang.URL, webhooks.NewSecret(),
		webhooks.Message{ID: "msg_1", At: time.Now(), Body: []byte(`{}`)})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "timed out") {
		t.Errorf("hanging receiver: %v, want timed out", res.Err)
	}

	var written atomic.Int64
	flood := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 32<<10)
		for range 1024 { // 32 MiB, if anyone read it all
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer flood.Close()
	res = webhooks.NewSender(loopback, 5*time.Second).Send(context.Background(), flood.URL, webhooks.NewSecret(),
		webhooks.Message{ID: "msg_2", At: time.Now(), Body: []byte(`{}`)})
	if res.Err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("flood: %d %v", res.StatusCode, res.Err)
	}
	flood.CloseClientConnections()
	if n := written.Load(); n >= 32<<20 {
		t.Errorf("the whole 32 MiB answer was read (%d bytes written)", n)
	}
}

// TestDeliveryRechecksTheAddressDNSGivesNow: a host that resolved to a public address when
// subscribed and resolves to a private one at delivery is not dialled.
func TestDeliveryRechecksTheAddressDNSGivesNow(t *testing.T) {
	t.Parallel()
	var dialled atomic.Bool
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			dialled.Store(true)
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	dns := newDNS(map[string][]string{"hr.example.org": {"93.184.216.34"}})
	g := &webhooks.Guard{Resolver: dns}
	url := "https://hr.example.org:" + port + "/hook"
	if err := g.CheckURL(context.Background(), url); err != nil {
		t.Fatalf("at subscription: %v", err)
	}
	for _, private := range []string{"127.0.0.1", "10.0.0.5", "169.254.169.254"} {
		dns.swap(map[string][]string{"hr.example.org": {private}})
		res := webhooks.NewSender(g, 2*time.Second).Send(context.Background(), url, webhooks.NewSecret(),
			webhooks.Message{ID: "msg_1", At: time.Now(), Body: []byte(`{}`)})
		if res.Err == nil || !strings.Contains(res.Err.Error(), "refused") {
			t.Errorf("rebound to %s: %v, want a refusal", private, res.Err)
		}
	}
	if dialled.Load() {
		t.Error("the private address was dialled")
	}
}

func TestEventTypesAndPatterns(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"*", "participant.created", "enrolment.*", "import.completed", "outcome.sustainment_due", "participant.erased"} {
		if !webhooks.ValidPattern(ok) {
			t.Errorf("%s refused", ok)
		}
	}
	for _, bad := range []string{"", "participant", "participant.*.*", "nothing.*", "participant.exploded", "api_client.created", "*.created"} {
		if webhooks.ValidPattern(bad) {
			t.Errorf("%s accepted", bad)
		}
	}
	if !webhooks.Matches([]string{"enrolment.*"}, "enrolment.updated") || webhooks.Matches([]string{"enrolment.*"}, "enrolments.updated") ||
		webhooks.Matches([]string{"outcome.created"}, "outcome.updated") || !webhooks.Matches([]string{"*"}, "import.completed") {
		t.Error("Matches")
	}
}
