package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/pkg/client"
)

// The tests of this file run the helpers against a whole p4w on its own PostgreSQL database.

const tokenPath = "/v1/auth/token"

// counter is an http.RoundTripper counting the requests to each path, and slowing token
// requests down by delay so that concurrent callers overlap one.
type counter struct {
	next  http.RoundTripper
	delay time.Duration

	mu     sync.Mutex
	counts map[string]int
}

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.counts[req.URL.Path]++
	c.mu.Unlock()
	if req.URL.Path == tokenPath {
		time.Sleep(c.delay)
	}
	return c.next.RoundTrip(req)
}

// n is the number of requests to path so far.
func (c *counter) n(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[path]
}

// countedHTTP returns an HTTP client that checks responses against openapi.yaml, as env.HTTP
// does, and counts the requests.
func countedHTTP(env *apitest.Env) (*http.Client, *counter) {
	c := &counter{next: env.HTTP.Transport, counts: map[string]int{}}
	return &http.Client{Transport: c, Timeout: 30 * time.Second}, c
}

// clock is a settable time for ClientCredentialsSource.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newAPI returns the generated client of env with ts, sending its requests through hc.
func newAPI(t *testing.T, env *apitest.Env, hc *http.Client, ts client.TokenSource) *client.ClientWithResponses {
	t.Helper()
	api, err := client.NewClientWithResponses(env.URL, client.WithHTTPClient(hc), client.WithTokenSource(ts))
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// wantTokenError checks that err is a *TokenError of status and code.
func wantTokenError(t *testing.T, err error, status int, code string) *client.TokenError {
	t.Helper()
	var te *client.TokenError
	if !errors.As(err, &te) {
		t.Fatalf("error %v (%T), want a *client.TokenError", err, err)
	}
	if te.Status != status || te.Code != code {
		t.Fatalf("TokenError %+v, want status %d, code %q", te, status, code)
	}
	return te
}

func TestClientCredentialsSource(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate Teaching Hospitals NHS Foundation Trust")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	_, clientID, secret := env.APIClient(t, admin, trust.ID, "participants:read")
	newSource := func() (*client.ClientCredentialsSource, *http.Client, *counter) {
		hc, n := countedHTTP(env)
		return &client.ClientCredentialsSource{Server: env.URL, ClientID: clientID, ClientSecret: secret,
			Scopes: []string{"participants:read"}, HTTPClient: hc}, hc, n
	}
	ctx := context.Background()

	t.Run("signs in and authorises the generated client", func(t *testing.T) {
		src, hc, n := newSource()
		tok, err := src.Token(ctx)
		if err != nil || tok == "" {
			t.Fatalf("Token: %q, %v", tok, err)
		}
		res, err := newAPI(t, env, hc, src).ListParticipantsWithResponse(ctx, &client.ListParticipantsParams{})
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode() != http.StatusOK || res.JSON200 == nil {
			t.Fatalf("list participants with the token source: %d %s", res.StatusCode(), res.Body)
		}
		if got := n.n(tokenPath); got != 1 {
			t.Errorf("%d token requests, want 1", got)
		}
	})

	t.Run("caches the token", func(t *testing.T) {
		src, hc, n := newSource()
		first, err := src.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		second, err := src.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		api := newAPI(t, env, hc, src)
		for range 3 {
			if res, err := api.ListParticipantsWithResponse(ctx, &client.ListParticipantsParams{}); err != nil || res.StatusCode() != http.StatusOK {
				t.Fatalf("list participants: %v %v", res, err)
			}
		}
		if first != second {
			t.Errorf("two calls gave two tokens")
		}
		if got := n.n(tokenPath); got != 1 {
			t.Errorf("two Token calls and three API calls made %d token requests, want 1", got)
		}
	})

	t.Run("refreshes shortly before expiry", func(t *testing.T) {
		src, _, n := newSource()
		clk := &clock{t: time.Now()}
		client.SetClock(src, clk.now)
		// Tokens live 900 s (apitest's configuration); the source replaces them 30 s early.
		steps := []struct {
			advance time.Duration
			want    int
		}{{0, 1}, {869 * time.Second, 1}, {2 * time.Second, 2}, {time.Second, 2}, {869 * time.Second, 3}}
		for _, s := range steps {
			clk.advance(s.advance)
			if _, err := src.Token(ctx); err != nil {
				t.Fatal(err)
			}
			if got := n.n(tokenPath); got != s.want {
				t.Fatalf("after advancing %s: %d token requests, want %d", s.advance, got, s.want)
			}
		}
	})

	t.Run("concurrent callers share one request", func(t *testing.T) {
		src, _, n := newSource()
		n.delay = 100 * time.Millisecond // every caller arrives while the request is under way
		clk := &clock{t: time.Now()}
		client.SetClock(src, clk.now)
		for round := 1; round <= 2; round++ {
			const callers = 20
			tokens := make([]string, callers)
			errs := make([]error, callers)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range callers {
				wg.Go(func() {
					<-start
					tokens[i], errs[i] = src.Token(ctx)
				})
			}
			close(start)
			wg.Wait()
			for i := range callers {
				if errs[i] != nil || tokens[i] == "" || tokens[i] != tokens[0] {
					t.Fatalf("round %d, caller %d: %q, %v; caller 0 got %q", round, i, tokens[i], errs[i], tokens[0])
				}
			}
			if got := n.n(tokenPath); got != round {
				t.Fatalf("round %d: %d concurrent callers made %d token requests in all, want %d", round, callers, got, round)
			}
			clk.advance(time.Hour) // the token has expired for the next round
		}
	})

	t.Run("a waiting caller can give up", func(t *testing.T) {
		src, _, n := newSource()
		n.delay = 300 * time.Millisecond
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if _, err := src.Token(short); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Token with a context that ends first: %v, want context.DeadlineExceeded", err)
		}
		// The request it started goes on, and the token it gets is kept.
		if tok, err := src.Token(ctx); err != nil || tok == "" {
			t.Fatalf("Token after: %q, %v", tok, err)
		}
		if got := n.n(tokenPath); got != 1 {
			t.Errorf("%d token requests, want 1", got)
		}
	})

	t.Run("Invalidate fetches a new token", func(t *testing.T) {
		src, _, n := newSource()
		for range 2 {
			if _, err := src.Token(ctx); err != nil {
				t.Fatal(err)
			}
		}
		src.Invalidate()
		if _, err := src.Token(ctx); err != nil {
			t.Fatal(err)
		}
		if got := n.n(tokenPath); got != 2 {
			t.Errorf("%d token requests, want 2: one before Invalidate, one after", got)
		}
	})
}

func TestClientCredentialsSourceRefusals(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside Community Health NHS Trust")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	ctx := context.Background()
	// Each case has a client of its own: failures of one client id are counted and throttled.
	newSource := func(t *testing.T, secret func(string) string, scopes ...string) (*client.ClientCredentialsSource, *http.Client, *counter, string) {
		id, clientID, s := env.APIClient(t, admin, trust.ID, "participants:read")
		hc, n := countedHTTP(env)
		return &client.ClientCredentialsSource{Server: env.URL, ClientID: clientID, ClientSecret: secret(s), Scopes: scopes, HTTPClient: hc}, hc, n, id
	}
	right := func(s string) string { return s }
	wrong := func(s string) string { return s + "x" }

	t.Run("wrong secret", func(t *testing.T) {
		src, _, n, _ := newSource(t, wrong)
		_, err := src.Token(ctx)
		te := wantTokenError(t, err, http.StatusUnauthorized, "invalid_client")
		if te.Description == "" || te.RetryAfter != 0 {
			t.Errorf("TokenError %+v, want a description and no RetryAfter", te)
		}
		if msg := err.Error(); !strings.Contains(msg, "invalid_client") || !strings.Contains(msg, "401") {
			t.Errorf("error message %q names neither the code nor the status", msg)
		}
		// A refusal is not cached: the next call asks again.
		_, err = src.Token(ctx)
		wantTokenError(t, err, http.StatusUnauthorized, "invalid_client")
		if got := n.n(tokenPath); got != 2 {
			t.Errorf("%d token requests, want 2", got)
		}
	})

	t.Run("scope not granted", func(t *testing.T) {
		src, _, _, _ := newSource(t, right, "participants:read", "participants:write")
		_, err := src.Token(ctx)
		wantTokenError(t, err, http.StatusBadRequest, "invalid_scope")
	})

	t.Run("throttled", func(t *testing.T) {
		src, _, _, _ := newSource(t, wrong)
		for i := range 5 { // the server blocks a client id for a while after 5 failures
			if _, err := src.Token(ctx); err == nil {
				t.Fatalf("attempt %d with a wrong secret succeeded", i+1)
			}
		}
		_, err := src.Token(ctx)
		te := wantTokenError(t, err, http.StatusTooManyRequests, "slow_down")
		if te.RetryAfter < time.Second {
			t.Errorf("RetryAfter = %s, want at least 1s", te.RetryAfter)
		}
		if !strings.Contains(err.Error(), "retry after") {
			t.Errorf("error message %q does not say when to retry", err)
		}
	})

	t.Run("revoked client", func(t *testing.T) {
		src, hc, n, id := newSource(t, right)
		api := newAPI(t, env, hc, src)
		list := func() *client.ListParticipantsResponse {
			t.Helper()
			res, err := api.ListParticipantsWithResponse(ctx, &client.ListParticipantsParams{})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		if res := list(); res.StatusCode() != http.StatusOK {
			t.Fatalf("before revocation: %d %s", res.StatusCode(), res.Body)
		}
		if res := env.Do(t, http.MethodDelete, "/v1/api-clients/"+id, admin, ""); res.Status != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", res.Status, res.Body)
		}
		// The cached token is sent until the API refuses it (it caches principals briefly).
		deadline := time.Now().Add(6 * time.Second)
		for {
			res := list()
			if res.StatusCode() == http.StatusUnauthorized {
				break
			}
			if res.StatusCode() != http.StatusOK || time.Now().After(deadline) {
				t.Fatalf("the revoked client's token: %d %s", res.StatusCode(), res.Body)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if got := n.n(tokenPath); got != 1 {
			t.Fatalf("%d token requests before Invalidate, want 1", got)
		}

		// As documented: on 401, Invalidate and retry once.
		src.Invalidate()
		lists := n.n("/v1/participants")
		_, err := api.ListParticipantsWithResponse(ctx, &client.ListParticipantsParams{})
		wantTokenError(t, err, http.StatusUnauthorized, "invalid_client")
		if got := n.n("/v1/participants"); got != lists {
			t.Errorf("the request was sent without a token")
		}
		if got := n.n(tokenPath); got != 2 {
			t.Errorf("%d token requests, want 2", got)
		}
	})
}

func TestAll(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Fairhaven NHS Trust")
	coordinator := env.User(t, trust.ID, domain.RoleCoordinator)
	var created []string
	for i := range 7 {
		body, err := json.Marshal(map[string]any{"organisation_id": trust.ID, "external_ref": fmt.Sprintf("FH-%d", i),
			"given_name": "Alex", "family_name": fmt.Sprintf("Taylor%d", i), "date_of_birth": "2000-01-01",
			"consent": map[string]bool{"processing": true}})
		if err != nil {
			t.Fatal(err)
		}
		res := env.Do(t, http.MethodPost, "/v1/participants", coordinator, string(body))
		if res.Status != http.StatusCreated {
			t.Fatalf("create participant: %d %s", res.Status, res.Body)
		}
		var p struct {
			ID string `json:"id"`
		}
		res.Decode(t, &p)
		created = append(created, p.ID)
	}
	ctx := context.Background()
	const listPath = "/v1/participants"

	// pages returns the page function listing trust's participants 3 at a time, and the
	// request counter; edit may change the cursor of page n (1, 2, ...) before it is asked for.
	pages := func(edit func(n int, cursor *string) *string) (func(context.Context, *string) ([]client.Participant, *string, error), *counter) {
		hc, n := countedHTTP(env)
		api := newAPI(t, env, hc, client.StaticToken(coordinator))
		limit, calls := 3, 0
		return func(ctx context.Context, cursor *string) ([]client.Participant, *string, error) {
			calls++
			if edit != nil {
				cursor = edit(calls, cursor)
			}
			res, err := api.ListParticipantsWithResponse(ctx, &client.ListParticipantsParams{Limit: &limit, Cursor: cursor, OrganisationId: &trust.ID})
			if err != nil {
				return nil, nil, err
			}
			if res.JSON200 == nil {
				return nil, nil, fmt.Errorf("list participants: %d %s", res.StatusCode(), res.Body)
			}
			return res.JSON200.Data, client.NextCursor(res.JSON200.NextCursor), nil
		}, n
	}

	t.Run("walks every page", func(t *testing.T) {
		page, n := pages(nil)
		var seen []string
		for p, err := range client.All(ctx, page) {
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, p.Id.String())
		}
		if !slices.Equal(seen, created) {
			t.Errorf("All yielded %v, want each of %v once, in order", seen, created)
		}
		if got := n.n(listPath); got != 3 {
			t.Errorf("%d list requests for 7 participants 3 a page, want 3", got)
		}
	})

	t.Run("a break fetches no further page", func(t *testing.T) {
		for _, c := range []struct{ take, requests int }{{1, 1}, {3, 1}, {4, 2}} {
			page, n := pages(nil)
			var seen []string
			for p, err := range client.All(ctx, page) {
				if err != nil {
					t.Fatal(err)
				}
				seen = append(seen, p.Id.String())
				if len(seen) == c.take {
					break
				}
			}
			if !slices.Equal(seen, created[:c.take]) {
				t.Errorf("took %v, want %v", seen, created[:c.take])
			}
			if got := n.n(listPath); got != c.requests {
				t.Errorf("breaking after %d items: %d list requests, want %d", c.take, got, c.requests)
			}
		}
	})

	t.Run("an error ends the iteration", func(t *testing.T) {
		forged := "bm90LWEtY3Vyc29y" // a cursor the server did not make, which it refuses with 400
		page, n := pages(func(n int, cursor *string) *string {
			if n == 2 {
				return &forged
			}
			return cursor
		})
		var seen []string
		var errs []error
		for p, err := range client.All(ctx, page) { // no break: All itself must stop
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if len(errs) > 0 {
				t.Errorf("an item after the error: %s", p.Id)
			}
			seen = append(seen, p.Id.String())
		}
		if !slices.Equal(seen, created[:3]) {
			t.Errorf("items %v, want the first page %v", seen, created[:3])
		}
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), "400") {
			t.Errorf("errors %v, want one, the 400 of the forged cursor", errs)
		}
		if got := n.n(listPath); got != 2 {
			t.Errorf("%d list requests, want 2", got)
		}
	})

	t.Run("a cursor that does not advance is an error", func(t *testing.T) {
		calls := 0
		same := "c1"
		page := func(context.Context, *string) ([]int, *string, error) {
			calls++
			if calls > 5 {
				t.Fatal("All kept asking for the same page")
			}
			return []int{calls}, &same, nil
		}
		var got []int
		var errs []error
		for v, err := range client.All(ctx, page) {
			if err != nil {
				errs = append(errs, err)
				continue
			}
			got = append(got, v)
		}
		if !slices.Equal(got, []int{1}) || len(errs) != 1 || calls != 2 {
			t.Errorf("items %v, errors %v after %d calls; want [1], one error, 2 calls", got, errs, calls)
		}
	})
}
