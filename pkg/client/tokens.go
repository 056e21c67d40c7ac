package client

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// A TokenSource supplies the access token sent with each request.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// WithTokenSource sends "Authorization: Bearer <token>" with every request, asking ts for the
// token each time. A request is not sent when ts fails; the client call returns its error.
func WithTokenSource(ts TokenSource) ClientOption {
	return WithRequestEditorFn(func(ctx context.Context, req *http.Request) error {
		token, err := ts.Token(ctx)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	})
}

// StaticToken is an access token already held, such as the token of a user a front end has
// signed in with the password grant. It never refreshes.
type StaticToken string

// Token returns the token itself.
func (t StaticToken) Token(context.Context) (string, error) { return string(t), nil }

// requestTimeout bounds one token request, which may outlive the caller that started it.
const requestTimeout = 30 * time.Second

// ClientCredentialsSource is the TokenSource of an API client (a trust's HR system, say): it signs
// in with the OAuth 2 client credentials grant at POST {Server}/v1/auth/token, keeps the access
// token and reuses it until shortly before it expires (30 seconds or a tenth of its lifetime
// early, whichever is less).
//
// It is safe for concurrent use: while a token is being fetched, other callers wait for that
// request rather than send their own, and all get its result. A refusal is a *TokenError.
//
// Use a pointer, and do not change the fields after the first call to Token.
//
// The server may stop accepting a cached token before it expires (the API client was revoked,
// or the signing key rotated). When a request made with it answers 401, call Invalidate and
// retry the request once: the retry fetches a new token, or fails with the *TokenError saying
// why (invalid_client for a revoked client).
type ClientCredentialsSource struct {
	Server       string       // the API's base URL, as given to NewClient
	ClientID     string       // the client_id shown when the API client was registered
	ClientSecret string       // its client_secret
	Scopes       []string     // narrows the token to these scopes; nil for all the client was granted
	HTTPClient   *http.Client // sends the token requests; nil for a default one (each is limited to 30 s)

	now func() time.Time // the clock; time.Now when nil (tests set it)

	mu        sync.Mutex
	token     string    // the cached access token; "" when none
	refreshAt time.Time // when the cached token is to be replaced
	flight    *flight   // the token request under way, if any
}

// A flight is one token request; callers needing a token meanwhile wait for it.
type flight struct {
	done  chan struct{} // closed when the request has ended and token or err is set
	token string
	err   error
}

// Token returns the cached access token, or fetches a new one when there is none or it is
// about to expire.
func (s *ClientCredentialsSource) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	if s.token != "" && s.clock().Before(s.refreshAt) {
		defer s.mu.Unlock()
		return s.token, nil
	}
	f := s.flight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		s.flight = f
		// Detached from ctx: a caller that gives up must not fail the others waiting.
		go s.fetch(context.WithoutCancel(ctx), f)
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.token, f.err
	case <-ctx.Done():
		return "", context.Cause(ctx)
	}
}

// Invalidate forgets the cached token, so that the next call to Token fetches a new one. Call
// it when the API answers 401 to a request made with a token from this source.
func (s *ClientCredentialsSource) Invalidate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = ""
}

// fetch runs the request of f, caches its token and wakes those waiting for it.
func (s *ClientCredentialsSource) fetch(ctx context.Context, f *flight) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	asked := s.clock() // the token's lifetime counts from no later than this
	token, lifetime, err := s.request(ctx)

	s.mu.Lock()
	if err == nil {
		s.token = token
		s.refreshAt = asked.Add(lifetime - min(lifetime/10, 30*time.Second))
	}
	s.flight = nil
	s.mu.Unlock()

	f.token, f.err = token, err
	close(f.done)
}

// request asks the token endpoint for a token, returning it with its lifetime.
func (s *ClientCredentialsSource) request(ctx context.Context) (string, time.Duration, error) {
	var opts []ClientOption
	if s.HTTPClient != nil {
		opts = append(opts, WithHTTPClient(s.HTTPClient))
	}
	api, err := NewClientWithResponses(s.Server, opts...)
	if err != nil {
		return "", 0, fmt.Errorf("p4w token: %w", err)
	}
	form := IssueTokenFormdataRequestBody{GrantType: ClientCredentials, ClientId: &s.ClientID, ClientSecret: &s.ClientSecret}
	if len(s.Scopes) > 0 {
		scope := strings.Join(s.Scopes, " ")
		form.Scope = &scope
	}
	res, err := api.IssueTokenWithFormdataBodyWithResponse(ctx, form)
	if err != nil {
		return "", 0, fmt.Errorf("p4w token: %w", err)
	}
	if ok := res.JSON200; ok != nil && ok.AccessToken != "" {
		return ok.AccessToken, time.Duration(ok.ExpiresIn) * time.Second, nil
	}
	if res.StatusCode() == http.StatusOK {
		return "", 0, fmt.Errorf("p4w token: the answer holds no access token (Content-Type %q)", res.ContentType())
	}
	return "", 0, tokenError(res)
}

func (s *ClientCredentialsSource) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

// TokenError is the token endpoint's refusal to issue a token.
type TokenError struct {
	Status      int           // the HTTP status: 400 or 401 for a refused request, 429 when throttled, 503 when unavailable
	Code        string        // the OAuth 2 error code, such as "invalid_client", "invalid_scope" or "slow_down"; "" when the answer was not an OAuth 2 error
	Description string        // the OAuth 2 error_description
	RetryAfter  time.Duration // with 429 and 503: how long to wait before asking again
}

func (e *TokenError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "p4w token refused (%d", e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	b.WriteString(")")
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, "; retry after %s", e.RetryAfter)
	}
	return b.String()
}

// tokenError reads a refusal: every error of the token endpoint is an OAuth 2 error.
func tokenError(res *IssueTokenResponse) *TokenError {
	e := &TokenError{Status: res.StatusCode()}
	var oauth *OAuthError
	for _, o := range []*OAuthError{res.JSON400, res.JSON401, res.JSON429, res.JSON503, res.JSONDefault} {
		if o != nil {
			oauth = o
			break
		}
	}
	switch {
	case oauth != nil:
		e.Code = string(oauth.Error)
		if oauth.ErrorDescription != nil {
			e.Description = *oauth.ErrorDescription
		}
	default: // not the answer of p4w itself (a proxy's, say)
		e.Description = http.StatusText(e.Status)
	}
	switch {
	case res.Headers429 != nil:
		e.RetryAfter = time.Duration(res.Headers429.RetryAfter) * time.Second
	case res.Headers503 != nil:
		e.RetryAfter = time.Duration(res.Headers503.RetryAfter) * time.Second
	}
	return e
}
