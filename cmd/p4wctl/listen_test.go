package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// TestListenVerifiesAndPrintsEachMessageOnce receives messages as an HR system would: each
// signed one is printed once, a redelivery of it is accepted and not printed again, and an
// unsigned, forged or stale one is refused with 401 and never printed.
func TestListenVerifiesAndPrintsEachMessageOnce(t *testing.T) {
	t.Parallel()
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer // read once listen has returned
	app := &App{Stdout: &out, Stderr: &errs}
	ended := make(chan error, 1)
	go func() { ended <- app.listen(context.Background(), ln, wh, 2) }()

	url := "http://" + ln.Addr().String()
	send := func(id string, at time.Time, body string, sign func(id string, at time.Time, body []byte) string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("webhook-id", id)
		req.Header.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
		req.Header.Set("webhook-signature", sign(id, at, []byte(body)))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("send %s: %v", id, err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	signed := func(id string, at time.Time, body []byte) string {
		s, err := wh.Sign(id, at, body)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	other, _ := standardwebhooks.NewWebhook("whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY")
	forged := func(id string, at time.Time, body []byte) string { s, _ := other.Sign(id, at, body); return s }

	first := `{"type": "outcome.created", "data": {"resource_id": "o-1"}}`
	now := time.Now()
	for _, c := range []struct {
		what string
		id   string
		at   time.Time
		sign func(string, time.Time, []byte) string
		want int
	}{
		{"a signed message", "msg_1", now, signed, http.StatusNoContent},
		{"its redelivery", "msg_1", now.Add(time.Second), signed, http.StatusNoContent},
		{"another secret's signature", "msg_2", now, forged, http.StatusUnauthorized},
		{"a message signed ten minutes ago (a replay)", "msg_3", now.Add(-10 * time.Minute), signed, http.StatusUnauthorized},
	} {
		if got := send(c.id, c.at, first, c.sign); got != c.want {
			t.Errorf("%s: answered %d, want %d", c.what, got, c.want)
		}
	}
	if got := send("msg_4", now, `{"type": "outcome.updated"}`, signed); got != http.StatusNoContent {
		t.Errorf("a second signed message: answered %d, want 204", got)
	}
	select {
	case err := <-ended:
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("listen did not stop after --count 2 messages")
	}
	want := `{"type":"outcome.created","data":{"resource_id":"o-1"}}` + "\n" + `{"type":"outcome.updated"}` + "\n"
	if got := out.String(); got != want {
		t.Errorf("printed:\n%s\nwant each signed message once, as one line:\n%s", got, want)
	}
	if n := strings.Count(errs.String(), "refused a message"); n != 2 {
		t.Errorf("standard error says %d refusals, want 2 (the forged and the stale):\n%s", n, errs.String())
	}
}

// TestListenNeedsTheSecret: without P4W_WEBHOOK_SECRET, or with something that is not a
// webhook secret, listen refuses to start rather than printing messages it cannot verify.
func TestListenNeedsTheSecret(t *testing.T) {
	t.Parallel()
	c := newCLI(t, nil)
	r := c.want(exitUsage, "", "listen", "--addr", "127.0.0.1:0", "--count", "1")
	if !strings.Contains(r.stderr, "P4W_WEBHOOK_SECRET is not set") {
		t.Errorf("without a secret: %s", r)
	}
	c.vars["P4W_WEBHOOK_SECRET"] = "whsec_not base64!"
	r = c.want(exitUsage, "", "listen", "--addr", "127.0.0.1:0", "--count", "1")
	if !strings.Contains(r.stderr, "not a webhook secret") {
		t.Errorf("with a broken secret: %s", r)
	}
}
