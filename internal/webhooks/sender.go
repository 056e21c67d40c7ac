package webhooks

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// MaxAnswer is how much of a receiver's answer is read: enough to reuse the connection after
// a short answer, and no more, so a receiver cannot make p4w read without end.
const MaxAnswer = 64 << 10

// DefaultTimeout bounds one attempt, connecting, sending and reading the answer's head.
const DefaultTimeout = 10 * time.Second

// NewSecret makes a signing secret in the Standard Webhooks form: whsec_ and 32 random bytes
// in base64.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// Sender sends signed messages through a guard.
type Sender struct {
	client *http.Client
}

// NewSender builds a sender whose every connection passes guard, which follows no redirect
// and gives up on an attempt after timeout (DefaultTimeout when zero).
func NewSender(guard *Guard, timeout time.Duration) *Sender {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	dialer := &net.Dialer{Timeout: timeout, Control: guard.Control}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us, past the guard
		DialContext:           guard.DialContext(dialer),
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	return &Sender{client: &http.Client{
		Transport: transport,
		Timeout:   timeout,
		// A redirect is not followed: it could point anywhere, the guard's checks aside, and a
		// receiver that moved should be subscribed anew. A 3xx counts as a failed attempt.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Message is one signed request: its webhook-id (the same on every attempt), time and body.
type Message struct {
	ID   string
	At   time.Time
	Body []byte
}

// Result is what one attempt came to.
type Result struct {
	StatusCode int           // 0: no answer
	Latency    time.Duration // from sending to the answer's head (or the failure)
	Err        error         // nil: delivered (a 2xx answer)
}

// Send signs m with secret and POSTs it to target. Any 2xx answer is success; another answer,
// a redirect, a refused target, a timeout or a broken connection is a failure with its cause.
func (s *Sender) Send(ctx context.Context, target, secret string, m Message) Result {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return Result{Err: fmt.Errorf("signing secret: %w", err)}
	}
	sig, err := wh.Sign(m.ID, m.At, m.Body)
	if err != nil {
		return Result{Err: fmt.Errorf("sign: %w", err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(m.Body))
	if err != nil {
		return Result{Err: fmt.Errorf("%w: %v", ErrRefused, err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "p4w-webhooks/1")
	req.Header.Set(standardwebhooks.HeaderWebhookID, m.ID)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(m.At.Unix(), 10))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, sig)
	start := time.Now()
	resp, err := s.client.Do(req)
	latency := time.Since(start)
	if err != nil {
		return Result{Latency: latency, Err: cause(err)}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxAnswer))
	_ = resp.Body.Close()
	r := Result{StatusCode: resp.StatusCode, Latency: latency}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		r.Err = fmt.Errorf("answered %d: redirects are not followed", resp.StatusCode)
	default:
		r.Err = fmt.Errorf("answered %d", resp.StatusCode)
	}
	return r
}

// cause makes a transport error short and free of the URL (which the log already names).
func cause(err error) error {
	var t interface{ Timeout() bool }
	if errors.As(err, &t) && t.Timeout() {
		return errors.New("timed out")
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) && errors.Is(oe.Err, ErrRefused) {
		return oe.Err // the guard's refusal, refused at the socket
	}
	return err
}
