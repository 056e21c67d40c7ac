package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/pgtest"
	"github.com/p4w-nhs/p4w/pkg/client"
)

// The tests of this file check WithRetries against an httptest server where they need exact
// control of each answer (its status, its Retry-After, a connection cut), and against a whole
// p4w where the refusal is the server's own: a 503 while its PostgreSQL is stopped, a 429 from
// the token endpoint's rate limit.

// waits records the waits of a retrying client instead of sleeping them.
type waits struct {
	mu  sync.Mutex
	got []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.got = append(w.got, d)
	return ctx.Err()
}

func (w *waits) list() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.got)
}

// fake is p with its waits recorded by w instead of slept, and Retry-After dates read at now.
func fake(p client.RetryPolicy, w *waits, now time.Time) client.RetryPolicy {
	return client.FakeWaits(p, w.sleep, func() time.Time { return now })
}

// script is an httptest server answering its n-th request with the n-th of its steps, and
// every later request with the last.
type script struct {
	*httptest.Server
	steps []http.HandlerFunc

	mu     sync.Mutex
	bodies []string // the body of each request, in order
	conns  int      // connections accepted
}

func newScript(t *testing.T, steps ...http.HandlerFunc) *script {
	t.Helper()
	s := &script{steps: steps}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies = append(s.bodies, string(body))
		step := s.steps[min(len(s.bodies), len(s.steps))-1]
		s.mu.Unlock()
		step(w, r)
	}))
	s.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *script) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bodies)
}

func (s *script) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.bodies)
}

func (s *script) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// respond answers status with the header pairs given and a problem body naming the status.
func respond(status int, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"type":"about:blank","title":%q,"status":%d}`, http.StatusText(status), status)
	}
}

// emptyPage answers a list with no items.
func emptyPage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"data":[],"next_cursor":null}`)
}

// hangUp closes the connection without answering.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	conn.Close()
}

// reset closes the connection with a TCP reset.
func reset(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	_ = conn.(*net.TCPConn).SetLinger(0)
	conn.Close()
}

// retrying returns the generated client of url with policy, authorised by a static token.
func retrying(t *testing.T, url string, policy client.RetryPolicy) *client.ClientWithResponses {
	t.Helper()
	api, err := client.NewClientWithResponses(url, client.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}),
		client.WithRetries(policy), client.WithTokenSource(client.StaticToken("a-token")))
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// doer returns what WithRetries installs in a client, to send requests of any method.
func doer(t *testing.T, policy client.RetryPolicy) client.HttpRequestDoer {
	t.Helper()
	c, err := client.NewClient("http://unused.invalid", client.WithRetries(policy))
	if err != nil {
		t.Fatal(err)
	}
	return c.Client
}

// send sends method to url with body (none when ""), the header pairs given, and returns the
// answer read whole.
func send(ctx context.Context, d client.HttpRequestDoer, method, url string, body io.Reader, header ...string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return 0, "", err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := d.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, string(b), err
}

func newParticipant(org uuid.UUID, ref string) client.ParticipantCreate {
	return client.ParticipantCreate{OrganisationId: org, ExternalRef: &ref, GivenName: "Amara", FamilyName: "Okafor",
		DateOfBirth: day("2003-06-14"), Consent: &client.ConsentInput{Processing: ptr(true)}}
}

func TestRetriesA503UntilItSucceeds(t *testing.T) {
	t.Parallel()
	s := newScript(t, respond(http.StatusServiceUnavailable), respond(http.StatusServiceUnavailable), emptyPage)
	w := &waits{}
	api := retrying(t, s.URL, fake(client.RetryPolicy{MaxAttempts: 4, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}, w, time.Now()))
	res, err := api.ListParticipantsWithResponse(context.Background(), &client.ListParticipantsParams{})
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode() != http.StatusOK || res.JSON200 == nil {
		t.Fatalf("after two 503s: %d %s, want the 200 of the third attempt", res.StatusCode(), res.Body)
	}
	if n := s.requests(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
	got := w.list()
	if len(got) != 2 || got[0] > 100*time.Millisecond || got[1] > 200*time.Millisecond {
		t.Errorf("waits %v, want two, within 100ms and 200ms", got)
	}
	// The two 503s were read and closed, so one connection served all three attempts.
	if n := s.connections(); n != 1 {
		t.Errorf("%d connections for three attempts, want 1: the refused answers were not drained and closed", n)
	}
}

func TestRetriesHonourRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	policy := client.RetryPolicy{MaxAttempts: 2, BaseDelay: 100 * time.Millisecond, MaxDelay: 30 * time.Second, MaxWait: time.Hour}
	cases := []struct {
		name       string
		status     int
		retryAfter string
		want       time.Duration // -1: a backoff within BaseDelay
	}{
		{"503 in seconds", http.StatusServiceUnavailable, "7", 7 * time.Second},
		{"429 in seconds", http.StatusTooManyRequests, "3", 3 * time.Second},
		{"an HTTP date", http.StatusServiceUnavailable, now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second},
		{"a date gone by", http.StatusTooManyRequests, now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"longer than MaxDelay", http.StatusServiceUnavailable, "120", 30 * time.Second},
		{"unreadable", http.StatusServiceUnavailable, "soon", -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newScript(t, respond(c.status, "Retry-After", c.retryAfter), emptyPage)
			w := &waits{}
			res, err := retrying(t, s.URL, fake(policy, w, now)).ListParticipantsWithResponse(context.Background(), &client.ListParticipantsParams{})
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode() != http.StatusOK || s.requests() != 2 {
				t.Fatalf("%d after %d requests, want 200 after 2", res.StatusCode(), s.requests())
			}
			got := w.list()
			switch {
			case len(got) != 1:
				t.Errorf("waits %v, want one", got)
			case c.want < 0 && got[0] > policy.BaseDelay:
				t.Errorf("waited %s for Retry-After %q, want a backoff within %s", got[0], c.retryAfter, policy.BaseDelay)
			case c.want >= 0 && got[0] != c.want:
				t.Errorf("waited %s for Retry-After %q, want %s", got[0], c.retryAfter, c.want)
			}
		})
	}
}

func TestRetriesOnlyRequestsSafeToRepeat(t *testing.T) {
	t.Parallel()
	const attempts = 3
	policy := client.RetryPolicy{MaxAttempts: attempts, MaxDelay: time.Millisecond}
	body := `{"given_name":"Amara"}`
	cases := []struct {
		method   string
		key      string    // Idempotency-Key
		body     io.Reader // nil: none
		attempts int
	}{
		{http.MethodGet, "", nil, attempts},
		{http.MethodHead, "", nil, attempts},
		{http.MethodOptions, "", nil, attempts},
		{http.MethodPut, "", strings.NewReader(body), attempts},
		{http.MethodDelete, "", nil, attempts},
		{http.MethodPost, "", strings.NewReader(body), 1},
		{http.MethodPatch, "", strings.NewReader(body), 1},
		{http.MethodPost, "key-1", strings.NewReader(body), attempts},
		{http.MethodPatch, "key-2", strings.NewReader(body), attempts},
		// A body that cannot be read twice (no GetBody) cannot be sent twice.
		{http.MethodPut, "", io.MultiReader(strings.NewReader(body)), 1},
		{http.MethodPost, "key-3", io.MultiReader(strings.NewReader(body)), 1},
	}
	for _, c := range cases {
		name := c.method
		if c.key != "" {
			name += " with an Idempotency-Key"
		}
		if _, ok := c.body.(*strings.Reader); c.body != nil && !ok {
			name += " with a body read once"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newScript(t, respond(http.StatusServiceUnavailable))
			var header []string
			if c.key != "" {
				header = []string{"Idempotency-Key", c.key}
			}
			status, _, err := send(context.Background(), doer(t, policy), c.method, s.URL+"/v1/participants", c.body, header...)
			if err != nil || status != http.StatusServiceUnavailable {
				t.Fatalf("%d %v, want the 503", status, err)
			}
			if n := s.requests(); n != c.attempts {
				t.Fatalf("sent %d times, want %d", n, c.attempts)
			}
			// Every attempt carried the whole body.
			for i, got := range s.received() {
				if c.body != nil && c.method != http.MethodHead && got != body {
					t.Errorf("attempt %d carried %q, want %q", i+1, got, body)
				}
			}
		})
	}

	// The generated client sets the key from the operation's parameter.
	t.Run("generated create", func(t *testing.T) {
		t.Parallel()
		org := uuid.New()
		for _, c := range []struct {
			key      *string
			attempts int
		}{{nil, 1}, {ptr("import-2026-03-02-row-1"), attempts}} {
			s := newScript(t, respond(http.StatusServiceUnavailable))
			res, err := retrying(t, s.URL, policy).CreateParticipantWithResponse(context.Background(),
				&client.CreateParticipantParams{IdempotencyKey: c.key}, newParticipant(org, "RT-1"))
			if err != nil || res.StatusCode() != http.StatusServiceUnavailable {
				t.Fatalf("create: %v %v, want the 503", res, err)
			}
			got := s.received()
			if len(got) != c.attempts {
				t.Fatalf("key %v: sent %d times, want %d", c.key, len(got), c.attempts)
			}
			for i := range got {
				if got[i] == "" || got[i] != got[0] {
					t.Errorf("the attempts carried different bodies: %q", got)
					break
				}
			}
		}
	})
}

func TestRetriesNoOtherStatus(t *testing.T) {
	t.Parallel()
	for _, status := range []int{400, 401, 403, 404, 409, 412, 422, 500, 502, 504} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			s := newScript(t, respond(status, "Retry-After", "1"), emptyPage)
			w := &waits{}
			got, body, err := send(context.Background(), doer(t, fake(client.DefaultRetryPolicy, w, time.Now())), http.MethodGet, s.URL+"/v1/participants/x", nil)
			if err != nil {
				t.Fatal(err)
			}
			if got != status || !strings.Contains(body, http.StatusText(status)) {
				t.Errorf("%d %q, want the %d as the server sent it", got, body, status)
			}
			if n := s.requests(); n != 1 || len(w.list()) != 0 {
				t.Errorf("a %d was sent %d times with waits %v, want once", status, n, w.list())
			}
		})
	}
}

func TestRetriesFailedConnections(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	policy := client.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond}

	for name, cut := range map[string]http.HandlerFunc{"closed before an answer": hangUp, "reset": reset} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newScript(t, cut, cut, emptyPage)
			res, err := retrying(t, s.URL, policy).ListParticipantsWithResponse(ctx, &client.ListParticipantsParams{})
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode() != http.StatusOK || s.requests() != 3 {
				t.Errorf("%d after %d requests, want 200 after 3", res.StatusCode(), s.requests())
			}
		})
	}

	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close() // nothing listens there now
		w := &waits{}
		_, _, err = send(ctx, doer(t, fake(policy, w, time.Now())), http.MethodGet, "http://"+addr+"/v1/participants", nil)
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("error %v, want the refused connection", err)
		}
		if got := w.list(); len(got) != policy.MaxAttempts-1 {
			t.Errorf("waits %v, want %d: one before each attempt after the first", got, policy.MaxAttempts-1)
		}
	})

	t.Run("a POST without a key", func(t *testing.T) {
		t.Parallel()
		s := newScript(t, hangUp, respond(http.StatusCreated))
		res, err := retrying(t, s.URL, policy).CreateParticipantWithResponse(ctx, &client.CreateParticipantParams{}, newParticipant(uuid.New(), "RT-2"))
		if err == nil {
			t.Fatalf("a POST whose connection was cut answered %d, want the error", res.StatusCode())
		}
		if n := s.requests(); n != 1 {
			t.Errorf("sent %d times, want once: the first may have created the record", n)
		}
	})

	t.Run("a POST with a key", func(t *testing.T) {
		t.Parallel()
		s := newScript(t, hangUp, respond(http.StatusCreated))
		res, err := retrying(t, s.URL, policy).CreateParticipantWithResponse(ctx,
			&client.CreateParticipantParams{IdempotencyKey: ptr("rt-3")}, newParticipant(uuid.New(), "RT-3"))
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode() != http.StatusCreated || s.requests() != 2 {
			t.Errorf("%d after %d requests, want 201 after 2", res.StatusCode(), s.requests())
		}
	})
}

func TestRetriesStopWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	// Real waits: the server asks for 20 s each time.
	policy := client.RetryPolicy{MaxAttempts: 4, MaxDelay: time.Minute}

	t.Run("cancelled while waiting", func(t *testing.T) {
		t.Parallel()
		s := newScript(t, respond(http.StatusServiceUnavailable, "Retry-After", "20"))
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, _, err := send(ctx, doer(t, policy), http.MethodGet, s.URL+"/v1/participants", nil)
		if elapsed := time.Since(start); elapsed > 5*time.Second {
			t.Errorf("returned %s after the request, want at once after the cancel", elapsed)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
		if n := s.requests(); n != 1 {
			t.Errorf("sent %d times, want once", n)
		}
	})

	t.Run("a deadline before the wait would end", func(t *testing.T) {
		t.Parallel()
		s := newScript(t, respond(http.StatusServiceUnavailable, "Retry-After", "20"))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		status, _, err := send(ctx, doer(t, policy), http.MethodGet, s.URL+"/v1/participants", nil)
		if err != nil || status != http.StatusServiceUnavailable {
			t.Errorf("%d %v, want the 503 at once: the retry could not be made in time", status, err)
		}
		if elapsed := time.Since(start); elapsed > 5*time.Second {
			t.Errorf("returned after %s, want at once", elapsed)
		}
	})

	t.Run("a context done at the answer is not retried", func(t *testing.T) {
		t.Parallel()
		// The caller gives up just as the 503 arrives: it gets the 503, with no wait and no retry.
		s := newScript(t, respond(http.StatusServiceUnavailable))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		hc := &http.Client{Transport: cancelAfter{next: http.DefaultTransport, cancel: cancel}}
		w := &waits{}
		c, err := client.NewClient(s.URL, client.WithHTTPClient(hc), client.WithRetries(fake(policy, w, time.Now())))
		if err != nil {
			t.Fatal(err)
		}
		status, _, err := send(ctx, c.Client, http.MethodGet, s.URL+"/v1/participants", nil)
		if err != nil || status != http.StatusServiceUnavailable {
			t.Errorf("%d %v, want the 503", status, err)
		}
		if n := s.requests(); n != 1 || len(w.list()) != 0 {
			t.Errorf("sent %d times with waits %v, want once and no wait", n, w.list())
		}
	})
}

func TestRetriesAttemptCapAndTotalWait(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("MaxAttempts", func(t *testing.T) {
		t.Parallel()
		s := newScript(t, respond(http.StatusServiceUnavailable))
		w := &waits{}
		status, body, err := send(ctx, doer(t, fake(client.RetryPolicy{MaxAttempts: 5}, w, time.Now())), http.MethodGet, s.URL, nil)
		if err != nil || status != http.StatusServiceUnavailable || !strings.Contains(body, "Service Unavailable") {
			t.Fatalf("%d %q %v, want the last 503 whole", status, body, err)
		}
		if n := s.requests(); n != 5 || len(w.list()) != 4 {
			t.Errorf("%d attempts and %d waits, want 5 and 4", n, len(w.list()))
		}
	})

	t.Run("the default", func(t *testing.T) {
		t.Parallel()
		s := newScript(t, respond(http.StatusTooManyRequests))
		w := &waits{}
		if _, _, err := send(ctx, doer(t, fake(client.RetryPolicy{}, w, time.Now())), http.MethodGet, s.URL, nil); err != nil {
			t.Fatal(err)
		}
		if n := s.requests(); n != client.DefaultRetryPolicy.MaxAttempts {
			t.Errorf("%d attempts with a zero policy, want DefaultRetryPolicy's %d", n, client.DefaultRetryPolicy.MaxAttempts)
		}
	})

	t.Run("MaxWait", func(t *testing.T) {
		t.Parallel()
		s := newScript(t, respond(http.StatusServiceUnavailable, "Retry-After", "10"))
		w := &waits{}
		policy := client.RetryPolicy{MaxAttempts: 10, MaxDelay: time.Minute, MaxWait: 25 * time.Second}
		status, _, err := send(ctx, doer(t, fake(policy, w, time.Now())), http.MethodGet, s.URL, nil)
		if err != nil || status != http.StatusServiceUnavailable {
			t.Fatalf("%d %v, want the last 503", status, err)
		}
		if got := w.list(); s.requests() != 3 || !slices.Equal(got, []time.Duration{10 * time.Second, 10 * time.Second}) {
			t.Errorf("%d attempts, waits %v; want 3 attempts and waits of 10s and 10s (a third would pass 25s)", s.requests(), got)
		}
	})
}

func TestRetriesJitter(t *testing.T) {
	t.Parallel()
	const base, maxDelay, attempts, runs = 100 * time.Millisecond, time.Second, 6, 40
	s := newScript(t, respond(http.StatusServiceUnavailable))
	var all [][]time.Duration
	for range runs {
		w := &waits{}
		if _, _, err := send(context.Background(), doer(t, fake(client.RetryPolicy{MaxAttempts: attempts, BaseDelay: base, MaxDelay: maxDelay}, w, time.Now())),
			http.MethodGet, s.URL, nil); err != nil {
			t.Fatal(err)
		}
		all = append(all, w.list())
	}
	firsts, longest := map[time.Duration]bool{}, make([]time.Duration, attempts-1)
	for _, got := range all {
		if len(got) != attempts-1 {
			t.Fatalf("waits %v, want %d", got, attempts-1)
		}
		for i, d := range got {
			if bound := min(maxDelay, base<<i); d < 0 || d > bound {
				t.Errorf("wait %d is %s, want within [0, %s]", i+1, d, bound)
			}
			longest[i] = max(longest[i], d)
		}
		firsts[got[0]] = true
	}
	// Full jitter: the waits are spread, not one value.
	if len(firsts) < runs/2 {
		t.Errorf("%d runs drew only %d distinct first waits", runs, len(firsts))
	}
	// The bound doubles with each retry: in 40 runs, some wait passes the bound before it (each
	// would fail by chance with probability 2^-40).
	for i := 1; i <= 3; i++ {
		if prev := base << (i - 1); longest[i] <= prev {
			t.Errorf("no wait %d in %d runs was longer than %s, the bound of wait %d: the backoff does not grow", i+1, runs, prev, i)
		}
	}
}

// cancelAfter is an http.RoundTripper that cancels the request's context once it has its answer.
type cancelAfter struct {
	next   http.RoundTripper
	cancel context.CancelFunc
}

func (c cancelAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := c.next.RoundTrip(req)
	c.cancel()
	return res, err
}

// statuses is an http.RoundTripper recording the status of each answer (0 for an error).
type statuses struct {
	next http.RoundTripper
	mu   sync.Mutex
	got  []int
}

func (s *statuses) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := s.next.RoundTrip(req)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.got = append(s.got, 0)
	} else {
		s.got = append(s.got, res.StatusCode)
	}
	return res, err
}

func (s *statuses) list() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

func (s *statuses) clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = nil
}

// count is the number of answers of status so far.
func (s *statuses) count(status int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, st := range s.got {
		if st == status {
			n++
		}
	}
	return n
}

// A p4w whose PostgreSQL stops answers 503 to every request until it is back: a GET retried
// gets its answer then, a POST without a key is sent once, and a POST with a key is sent until
// it lands and creates one participant.
func TestRetriesAgainstP4WWhilePostgreSQLIsDown(t *testing.T) {
	t.Parallel()
	cluster := pgtest.NewCluster(t)
	cfg := apitest.Config(t, cluster.URL())
	cfg.DBConnectTimeout, cfg.DBAcquireTimeout, cfg.DBStatementTimeout = time.Second, time.Second, time.Second
	cfg.RequestTimeout = 2 * time.Second
	env := apitest.NewOn(t, cfg, io.Discard)
	trust := env.Organisation(t, domain.KindTrust, "Fallow NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	rec := &statuses{next: env.HTTP.Transport}
	// Retry-After is 5 s; MaxDelay shortens each wait so the test does not.
	policy := client.RetryPolicy{MaxAttempts: 1000, BaseDelay: 50 * time.Millisecond, MaxDelay: 200 * time.Millisecond, MaxWait: 2 * time.Minute}
	api, err := client.NewClientWithResponses(env.URL, client.WithHTTPClient(&http.Client{Transport: rec, Timeout: 30 * time.Second}),
		client.WithRetries(policy), client.WithTokenSource(client.StaticToken(token)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// outage stops PostgreSQL, runs call in the background, starts PostgreSQL again once p4w
	// has refused call twice, and returns the status of call.
	outage := func(t *testing.T, call func() (int, error)) int {
		t.Helper()
		rec.clear()
		cluster.Stop()
		done := make(chan struct{})
		var status int
		var err error
		go func() {
			defer close(done)
			status, err = call()
		}()
		for deadline := time.Now().Add(30 * time.Second); rec.count(http.StatusServiceUnavailable) < 2; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				cluster.Start() // for the next subtest
				<-done
				t.Fatalf("p4w did not refuse twice while PostgreSQL was down: %v", rec.list())
			}
		}
		cluster.Start()
		<-done
		if err != nil {
			t.Fatal(err)
		}
		return status
	}
	countRef := func(t *testing.T, ref string) int {
		t.Helper()
		res, err := api.ListParticipantsWithResponse(ctx, &client.ListParticipantsParams{ExternalRef: &ref, OrganisationId: &trust.ID})
		if err != nil || res.JSON200 == nil {
			t.Fatalf("list by external_ref: %v %v", res, err)
		}
		return len(res.JSON200.Data)
	}

	t.Run("a GET is retried until PostgreSQL is back", func(t *testing.T) {
		status := outage(t, func() (int, error) {
			res, err := api.ListParticipantsWithResponse(ctx, &client.ListParticipantsParams{OrganisationId: &trust.ID})
			if err != nil {
				return 0, err
			}
			return res.StatusCode(), nil
		})
		if got := rec.list(); status != http.StatusOK || got[len(got)-1] != http.StatusOK {
			t.Fatalf("%d after answers %v, want 200 once PostgreSQL was back", status, got)
		}
	})

	t.Run("a POST without an Idempotency-Key is sent once", func(t *testing.T) {
		rec.clear()
		cluster.Stop()
		res, err := api.CreateParticipantWithResponse(ctx, &client.CreateParticipantParams{}, newParticipant(trust.ID, "RT-NOKEY"))
		cluster.Start()
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode() != http.StatusServiceUnavailable || !slices.Equal(rec.list(), []int{503}) {
			t.Fatalf("%d after answers %v, want the one 503", res.StatusCode(), rec.list())
		}
		if n := countRef(t, "RT-NOKEY"); n != 0 { // the list is retried while p4w reconnects
			t.Errorf("%d participants from a refused POST", n)
		}
	})

	t.Run("a POST with an Idempotency-Key lands once PostgreSQL is back, once", func(t *testing.T) {
		var res *client.CreateParticipantResponse
		status := outage(t, func() (int, error) {
			var err error
			res, err = api.CreateParticipantWithResponse(ctx, &client.CreateParticipantParams{IdempotencyKey: ptr("rt-outage-1")},
				newParticipant(trust.ID, "RT-KEY"))
			if err != nil {
				return 0, err
			}
			return res.StatusCode(), nil
		})
		if status != http.StatusCreated || res.JSON201 == nil {
			t.Fatalf("%d after answers %v, want 201", status, rec.list())
		}
		if n := countRef(t, "RT-KEY"); n != 1 {
			t.Errorf("%d participants RT-KEY, want 1", n)
		}
	})
}

// The token endpoint limits requests per address; its 429 says when to come back. A POST
// without a key is not retried; with one, the retry waits as long as Retry-After says and
// succeeds.
func TestRetriesAgainstP4WTokenRateLimit(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t, pgtest.NewURL(t))
	cfg.TokenRatePerMinute = 60 // one a second after a burst of 10: Retry-After 1
	env := apitest.NewOn(t, cfg, io.Discard)
	trust := env.Organisation(t, domain.KindTrust, "Fallow NHS Trust")
	_, email := env.MustCreateUser(t, trust.ID, domain.RoleCoordinator)
	exhaust := func(t *testing.T) {
		t.Helper()
		for range 100 {
			if env.PostToken(t, apitest.Form("grant_type", "password")).Status == http.StatusTooManyRequests {
				return
			}
		}
		t.Fatal("the token endpoint never answered 429")
	}
	rec := &statuses{next: env.HTTP.Transport}
	api, err := client.NewClientWithResponses(env.URL, client.WithHTTPClient(&http.Client{Transport: rec, Timeout: 30 * time.Second}),
		client.WithRetries(client.DefaultRetryPolicy))
	if err != nil {
		t.Fatal(err)
	}
	form := client.IssueTokenFormdataRequestBody{GrantType: client.Password, Username: &email, Password: ptr(apitest.Password)}
	ctx := context.Background()

	t.Run("without a key", func(t *testing.T) {
		rec.clear()
		exhaust(t)
		res, err := api.IssueTokenWithFormdataBodyWithResponse(ctx, form)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode() != http.StatusTooManyRequests || res.HTTPResponse.Header.Get("Retry-After") == "" || !slices.Equal(rec.list(), []int{429}) {
			t.Fatalf("%d (Retry-After %q) after answers %v, want the one 429 with Retry-After", res.StatusCode(), res.HTTPResponse.Header.Get("Retry-After"), rec.list())
		}
	})

	t.Run("with a key", func(t *testing.T) {
		rec.clear()
		exhaust(t)
		start := time.Now()
		res, err := api.IssueTokenWithFormdataBodyWithResponse(ctx, form, func(_ context.Context, req *http.Request) error {
			req.Header.Set("Idempotency-Key", "sign-in-1")
			return nil
		})
		elapsed := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode() != http.StatusOK || res.JSON200 == nil || !slices.Equal(rec.list(), []int{429, 200}) {
			t.Fatalf("%d after answers %v, want 200 after one 429", res.StatusCode(), rec.list())
		}
		if elapsed < time.Second {
			t.Errorf("retried after %s, want at least the 1 s Retry-After said", elapsed)
		}
	})
}
