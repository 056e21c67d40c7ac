package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/pgtest"
)

// footprint counts what a token request may leave behind: refresh tokens, audit events, and
// the per-account failure counts of the sign-in throttle.
type footprint struct{ refreshTokens, auditEvents, throttled int }

func footprintOf(t *testing.T, env *apitest.Env) footprint {
	t.Helper()
	return footprint{
		refreshTokens: env.MustQueryInt(t, `SELECT count(*) FROM refresh_tokens`),
		auditEvents:   env.MustQueryInt(t, `SELECT count(*) FROM audit_events`),
		throttled:     env.MustQueryInt(t, `SELECT coalesce(sum(failures), 0)::int FROM sign_in_throttle`),
	}
}

// TestTokenEndpointRefusalsAreOAuthErrors: whatever refuses a token request (the contract's
// validation, the body's parsing, its size or type, or the grant itself), the client gets the
// OAuth 2 error RFC 6749 §5.2 defines, with the code that says what to fix, and nothing is
// stored but the failed sign-ins that must be counted.
func TestTokenEndpointRefusalsAreOAuthErrors(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate Teaching Hospitals NHS Foundation Trust")
	_, email := env.MustCreateUser(t, trust.ID, domain.RoleCoordinator)
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	_, clientID, secret := env.APIClient(t, admin, trust.ID, "participants:read")
	access := wantToken(t, env.PostToken(t, apitest.PasswordGrant(email, apitest.Password))).AccessToken
	const jsonType = "application/json"
	pw := apitest.Password

	cases := []struct {
		name        string
		contentType string
		body        string
		headers     []string
		status      int
		code        string
		mentions    string // error_description names the parameter at fault
		failures    int    // failed sign-ins that are audited and counted, as they must be
	}{
		{name: "unknown grant_type", body: apitest.Form("grant_type", "authorization_code", "code", "abc"),
			status: 400, code: "unsupported_grant_type", mentions: "grant_type"},
		{name: "an extension grant_type", body: apitest.Form("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion", "x"),
			status: 400, code: "unsupported_grant_type", mentions: "grant_type"},
		{name: "unknown grant_type in JSON", contentType: jsonType, body: `{"grant_type":"implicit"}`,
			status: 400, code: "unsupported_grant_type", mentions: "grant_type"},
		{name: "no grant_type", body: apitest.Form("username", email, "password", pw),
			status: 400, code: "invalid_request", mentions: "grant_type"},
		{name: "empty grant_type (RFC 6749 §3.1: as if omitted)", body: "grant_type=&username=a%40b.org&password=x",
			status: 400, code: "invalid_request", mentions: "grant_type"},
		{name: "no username", body: apitest.Form("grant_type", "password", "password", pw),
			status: 400, code: "invalid_request", mentions: "username"},
		{name: "empty password", body: apitest.Form("grant_type", "password", "username", email) + "&password=",
			status: 400, code: "invalid_request", mentions: "password"},
		{name: "no refresh_token", body: apitest.Form("grant_type", "refresh_token"),
			status: 400, code: "invalid_request", mentions: "refresh_token"},
		{name: "username twice", body: apitest.Form("grant_type", "password", "password", pw) + "&username=a%40b.org&username=" + email,
			status: 400, code: "invalid_request", mentions: "username"},
		{name: "grant_type twice", body: apitest.PasswordGrant(email, pw) + "&grant_type=client_credentials",
			status: 400, code: "invalid_request", mentions: "grant_type"},
		{name: "JSON member twice", contentType: jsonType,
			body:   `{"grant_type":"password","username":"a@b.org","Username":"` + email + `","password":"` + pw + `"}`,
			status: 400, code: "invalid_request", mentions: "sername"},
		{name: "over-long username", body: apitest.PasswordGrant(strings.Repeat("a", 250)+"@b.org", pw),
			status: 400, code: "invalid_request", mentions: "username"},
		{name: "over-long password", body: apitest.PasswordGrant(email, strings.Repeat("p", 129)),
			status: 400, code: "invalid_request", mentions: "password"},
		{name: "over-long refresh_token", body: apitest.Form("grant_type", "refresh_token", "refresh_token", strings.Repeat("r", 2049)),
			status: 400, code: "invalid_request", mentions: "refresh_token"},
		{name: "over-long scope", body: apitest.ClientGrant(clientID, secret, "scope", strings.Repeat("s", 501)),
			status: 400, code: "invalid_request", mentions: "scope"},
		{name: "NUL in username", body: "grant_type=password&username=a%00b%40c.org&password=x",
			status: 400, code: "invalid_request", mentions: "username"},
		{name: "password not UTF-8", body: "grant_type=password&username=a%40b.org&password=%ff%fe",
			status: 400, code: "invalid_request", mentions: "password"},
		{name: "malformed JSON", contentType: jsonType, body: `{"grant_type":"password",`,
			status: 400, code: "invalid_request"},
		{name: "JSON not an object", contentType: jsonType, body: `["password"]`,
			status: 400, code: "invalid_request"},
		{name: "no body", status: 400, code: "invalid_request"},
		{name: "a text/plain body", contentType: "text/plain", body: apitest.PasswordGrant(email, pw),
			status: 400, code: "invalid_request", mentions: "Content-Type"},
		{name: "a body over the size limit", body: apitest.PasswordGrant(email, strings.Repeat("p", 1<<20)),
			status: 400, code: "invalid_request"},
		{name: "an access token as refresh token", body: apitest.Form("grant_type", "refresh_token", "refresh_token", access),
			status: 400, code: "invalid_grant", mentions: "refresh_token"},
		{name: "an unknown refresh token", body: apitest.Form("grant_type", "refresh_token", "refresh_token", "b3Zlcmx5LWhvcGVmdWwtZ3Vlc3M"),
			status: 400, code: "invalid_grant", mentions: "refresh_token"},
		{name: "a wrong password", body: apitest.PasswordGrant(email, "not the password"),
			status: 400, code: "invalid_grant", failures: 1},
		{name: "client credentials without a secret", body: apitest.Form("grant_type", "client_credentials", "client_id", clientID),
			status: 401, code: "invalid_client"},
		{name: "a wrong client secret", body: apitest.ClientGrant(clientID, secret+"x"),
			status: 401, code: "invalid_client", failures: 1},
		{name: "a wrong client secret over HTTP Basic", body: apitest.Form("grant_type", "client_credentials"),
			headers: []string{"Authorization", basicAuth(clientID, "wrong")}, status: 401, code: "invalid_client", failures: 1},
		{name: "two client authentication methods (RFC 6749 §2.3)", body: apitest.ClientGrant(clientID, secret),
			headers: []string{"Authorization", basicAuth(clientID, secret)}, status: 400, code: "invalid_request", mentions: "client_secret"},
		{name: "a scope the client was not granted", body: apitest.ClientGrant(clientID, secret, "scope", "participants:write"),
			status: 400, code: "invalid_scope", mentions: "participants:write"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			contentType := formType
			if tc.contentType != "" {
				contentType = tc.contentType
			}
			before := footprintOf(t, env)
			res := env.Do(t, http.MethodPost, "/v1/auth/token", "", tc.body, append([]string{"Content-Type", contentType}, tc.headers...)...)
			e := wantOAuthError(t, res, tc.status, tc.code)
			if !strings.Contains(e.Description, tc.mentions) {
				t.Errorf("error_description %q does not name %s", e.Description, tc.mentions)
			}
			basic := len(tc.headers) > 0 && strings.HasPrefix(tc.headers[1], "Basic")
			switch challenge := res.Header.Get("WWW-Authenticate"); {
			case tc.status == http.StatusUnauthorized && basic && !strings.HasPrefix(challenge, `Basic realm="p4w"`):
				t.Errorf(`WWW-Authenticate = %q, want Basic realm="p4w" (RFC 6749 §5.2)`, challenge)
			case (tc.status != http.StatusUnauthorized || !basic) && challenge != "":
				t.Errorf("WWW-Authenticate = %q on a refusal that is not of HTTP Basic client authentication", challenge)
			}
			after := footprintOf(t, env)
			want := before
			want.auditEvents += tc.failures
			want.throttled += tc.failures
			if after != want {
				t.Errorf("stored %+v, want %+v (before %+v)", after, want, before)
			}
		})
	}
}

// TestRevocationRefusalsAreOAuthErrors: the revocation endpoint answers its errors as RFC
// 7009 §2.2.1 says, in OAuth 2's shape, and an access token, which it cannot revoke, is
// refused as such rather than reported revoked.
func TestRevocationRefusalsAreOAuthErrors(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside Community Health NHS Trust")
	_, email := env.MustCreateUser(t, trust.ID, domain.RoleCoordinator)
	tok := wantToken(t, env.PostToken(t, apitest.PasswordGrant(email, apitest.Password)))
	revoke := func(t *testing.T, contentType, body string) apitest.Response {
		t.Helper()
		return env.Do(t, http.MethodPost, "/v1/auth/revoke", "", body, "Content-Type", contentType)
	}
	for _, tc := range []struct {
		name, contentType, body string
		code, mentions          string
	}{
		{"no token", formType, apitest.Form("token_type_hint", "refresh_token"), "invalid_request", "token"},
		{"empty token", formType, "token=", "invalid_request", "token"},
		{"token twice", formType, "token=a&token=b", "invalid_request", "token"},
		{"over-long token", formType, apitest.Form("token", strings.Repeat("t", 2049)), "invalid_request", "token"},
		{"a text/plain body", "text/plain", apitest.Form("token", *tok.RefreshToken), "invalid_request", "Content-Type"},
		{"an access token", formType, apitest.Form("token", tok.AccessToken, "token_type_hint", "access_token"), "unsupported_token_type", "access token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := footprintOf(t, env)
			e := wantOAuthError(t, revoke(t, tc.contentType, tc.body), http.StatusBadRequest, tc.code)
			if !strings.Contains(e.Description, tc.mentions) {
				t.Errorf("error_description %q does not name %s", e.Description, tc.mentions)
			}
			if after := footprintOf(t, env); after != before {
				t.Errorf("stored %+v, want %+v", after, before)
			}
		})
	}
	// Nothing above touched the sign-in: its refresh token still works.
	wantToken(t, env.PostToken(t, apitest.Form("grant_type", "refresh_token", "refresh_token", *tok.RefreshToken)))
}

// TestTokenEndpointOutageIsOAuth503: with PostgreSQL down, the token and revocation endpoints
// answer 503 with Retry-After, in OAuth 2's shape (temporarily_unavailable). The cluster is
// the test's own.
func TestTokenEndpointOutageIsOAuth503(t *testing.T) {
	t.Parallel()
	cluster := pgtest.NewCluster(t)
	env := apitest.NewOn(t, apitest.Config(t, cluster.URL()), &logBuffer{})
	trust := env.Organisation(t, domain.KindTrust, "Fallow NHS Trust")
	_, email := env.MustCreateUser(t, trust.ID, domain.RoleCoordinator)
	tok := wantToken(t, env.PostToken(t, apitest.PasswordGrant(email, apitest.Password)))

	cluster.Stop()
	defer cluster.Start()
	requests := map[string]func() apitest.Response{
		"password grant": func() apitest.Response { return env.PostToken(t, apitest.PasswordGrant(email, apitest.Password)) },
		"refresh grant": func() apitest.Response {
			return env.PostToken(t, apitest.Form("grant_type", "refresh_token", "refresh_token", *tok.RefreshToken))
		},
		"revocation": func() apitest.Response {
			return env.Do(t, http.MethodPost, "/v1/auth/revoke", "", apitest.Form("token", *tok.RefreshToken), "Content-Type", formType)
		},
	}
	for _, name := range []string{"password grant", "refresh grant", "revocation"} {
		t.Run(name, func(t *testing.T) {
			res := requests[name]()
			// Every answer is a 503, even the first on a pooled connection the stop cut
			// (driver: bad connection at BEGIN).
			wantOAuthError(t, res, http.StatusServiceUnavailable, "temporarily_unavailable")
			if ra := res.Header.Get("Retry-After"); ra != "5" {
				t.Errorf("Retry-After = %q, want 5", ra)
			}
		})
	}
}
