package client

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RetryPolicy says when a request is sent again and how long the client waits first. Give it to
// WithRetries. A zero field takes the value of DefaultRetryPolicy.
type RetryPolicy struct {
	// MaxAttempts is the number of times a request may be sent in all, the first included;
	// 1 sends each request once.
	MaxAttempts int
	// BaseDelay bounds the first wait when the answer gives no Retry-After; the bound doubles
	// with each further retry, and the wait is drawn at random below it (full jitter), so that
	// clients refused together do not come back together.
	BaseDelay time.Duration
	// MaxDelay bounds each wait, a Retry-After longer than this included.
	MaxDelay time.Duration
	// MaxWait bounds the waits of one request added together: a retry that would go past it is
	// not made, and the last answer is returned.
	MaxWait time.Duration

	sleep func(ctx context.Context, d time.Duration) error // waits d; tests replace it
	now   func() time.Time                                 // reads a Retry-After date against it
}

// DefaultRetryPolicy sends a request up to 4 times, waiting at random up to 250 ms, 500 ms and
// 1 s between attempts, or what Retry-After says up to 30 s, and 1 minute at most in all.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 4, BaseDelay: 250 * time.Millisecond, MaxDelay: 30 * time.Second, MaxWait: time.Minute}

// WithRetries makes the client send a request again when the server is briefly unable to
// answer it: a 429 (too many requests), a 503 (unavailable: PostgreSQL restarting, say), or a
// connection that failed (refused, reset, or closed before any answer). It waits as the
// answer's Retry-After says (in seconds or as an HTTP date), or else with exponential backoff
// and jitter; see RetryPolicy for the bounds.
//
// Only requests that are safe to send twice are retried: GET, HEAD, OPTIONS, PUT and DELETE,
// and POST and PATCH carrying an Idempotency-Key header, which says a repeat is harmless (p4w
// answers a POST sent again with the same key with its first answer). A POST without a key is
// never sent again, because the first may have created its record before the answer was lost,
// and a second would create another. A request whose body cannot be read again (one made with an io.Reader other than a
// bytes.Buffer, bytes.Reader or strings.Reader, which set http.Request.GetBody) is not retried.
//
// No other status is retried: a 401 means the token was refused (see
// ClientCredentialsSource.Invalidate), and a 4xx or another 5xx would be answered the same way
// again. Nor is a request whose context is done: cancelling it stops a wait at once, and the
// client does not start a wait its context's deadline would cut short, but returns the last
// answer. The answers it does not return are read and closed, so their connections are reused.
//
// WithRetries wraps the HTTP client given by the options before it, so put it after
// WithHTTPClient; with no WithHTTPClient before it, it wraps a new http.Client. That client's
// Timeout bounds each attempt, and the request's context all of them with the waits. Token
// requests of a ClientCredentialsSource are POSTs without a key and are not retried: a
// throttled or unavailable token endpoint is a *TokenError whose RetryAfter says when to try.
func WithRetries(policy RetryPolicy) ClientOption {
	return func(c *Client) error {
		next := c.Client
		if next == nil {
			next = &http.Client{}
		}
		c.Client = &retrier{next: next, policy: policy.withDefaults()}
		return nil
	}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = d.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = d.MaxDelay
	}
	if p.MaxWait <= 0 {
		p.MaxWait = d.MaxWait
	}
	if p.sleep == nil {
		p.sleep = sleep
	}
	if p.now == nil {
		p.now = time.Now
	}
	return p
}

// retrier is the HttpRequestDoer WithRetries installs in front of the client's own.
type retrier struct {
	next   HttpRequestDoer
	policy RetryPolicy
}

func (r *retrier) Do(req *http.Request) (*http.Response, error) {
	if !replayable(req) {
		return r.next.Do(req)
	}
	ctx := req.Context()
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		try := req
		if attempt > 1 {
			try = req.Clone(ctx)
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				try.Body = body
			}
		}
		res, err := r.next.Do(try)
		if attempt >= r.policy.MaxAttempts || ctx.Err() != nil {
			return res, err
		}
		wait, again := r.policy.wait(attempt, res, err)
		if !again || waited+wait > r.policy.MaxWait {
			return res, err
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return res, err // the retry could not be made in time: the last answer says more than a timeout
		}
		discard(res)
		if err := r.policy.sleep(ctx, wait); err != nil {
			return nil, &url.Error{Op: urlOp(req.Method), URL: req.URL.String(), Err: err}
		}
		waited += wait
	}
}

// replayable reports whether req may be sent again: its method makes a repeat harmless, or an
// Idempotency-Key makes the server answer a repeat with the first answer, and its body can be
// read again.
func replayable(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
	case http.MethodPost, http.MethodPatch:
		if req.Header.Get("Idempotency-Key") == "" {
			return false
		}
	default:
		return false
	}
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// wait says whether the outcome of an attempt is worth another, and how long to wait first.
func (p RetryPolicy) wait(attempt int, res *http.Response, err error) (time.Duration, bool) {
	if err != nil {
		return p.backoff(attempt), connectionFailed(err)
	}
	if res.StatusCode != http.StatusTooManyRequests && res.StatusCode != http.StatusServiceUnavailable {
		return 0, false
	}
	if after, ok := retryAfter(res.Header.Get("Retry-After"), p.now()); ok {
		return min(after, p.MaxDelay), true
	}
	return p.backoff(attempt), true
}

// backoff is the wait after the attempt-th attempt with no Retry-After: at random between 0 and
// BaseDelay·2^(attempt-1), bounded by MaxDelay.
func (p RetryPolicy) backoff(attempt int) time.Duration {
	bound := p.MaxDelay
	if shift := attempt - 1; shift < 32 && p.BaseDelay <= p.MaxDelay>>shift {
		bound = p.BaseDelay << shift
	}
	return rand.N(bound + 1)
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(min(s, int64(24*time.Hour/time.Second))) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// connectionFailed reports whether err is a connection that failed before any answer: nothing
// came back, and a request safe to repeat may be sent again. A context that ended is not one.
func connectionFailed(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false // the caller's context, or the http.Client's Timeout
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return false // no such host: asking again will not make one
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial" // nothing was sent
}

// discard reads a little of a response no one will see and closes it, so that its connection
// can serve the next attempt.
func discard(res *http.Response) {
	if res == nil || res.Body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	_ = res.Body.Close()
}

// sleep waits d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// urlOp names a method as net/http names it in a *url.Error ("Get", "Post").
func urlOp(method string) string {
	if method == "" {
		return "Get"
	}
	return method[:1] + strings.ToLower(method[1:])
}
