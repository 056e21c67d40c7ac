package httpapi_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/app"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/pgtest"
	"github.com/p4w-nhs/p4w/internal/postgres"
)

// The tests of this file exercise the token endpoint (POST /v1/auth/token), revocation
// (POST /v1/auth/revoke), the key set (GET /.well-known/jwks.json) and the verification of
// access tokens on a protected route. Attacks already covered by TestOpsTokenAttacks (no token,
// Basic, garbage, alg none, a foreign key, an oversized header) and the disabled user's token
// (TestOpsTokenOfDisabledUserStopsWorking) are not repeated here.

const (
	protectedPath = "/v1/participants" // needs participants:read
	formType      = "application/x-www-form-urlencoded"
)

// tokenAnswer is a token endpoint answer, with refresh_token's presence kept apart from its value.
type tokenAnswer struct {
	AccessToken  string  `json:"access_token"`
	TokenType    string  `json:"token_type"`
	ExpiresIn    int     `json:"expires_in"`
	RefreshToken *string `json:"refresh_token"`
	Scope        string  `json:"scope"`
}

// wantToken checks a successful token answer and decodes it.
func wantToken(t *testing.T, res apitest.Response) tokenAnswer {
	t.Helper()
	if res.Status != http.StatusOK {
		t.Fatalf("token endpoint: %d %s", res.Status, res.Body)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	var tok tokenAnswer
	res.Decode(t, &tok)
	if tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn != 900 {
		t.Errorf("token answer: %s", res.Body)
	}
	return tok
}

// oauthError is an OAuth 2 error answer (RFC 6749 §5.2).
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// wantOAuthError checks an OAuth 2 error of status and code (RFC 6749 §5.2: a JSON object of
// error, error_description and error_uri only, never cached) and decodes it.
func wantOAuthError(t *testing.T, res apitest.Response, status int, code string) oauthError {
	t.Helper()
	if res.Status != status {
		t.Fatalf("%d, want %d %s: %s", res.Status, status, code, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" && ct != "application/json; charset=UTF-8" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	var members map[string]any
	res.Decode(t, &members)
	for name, v := range members {
		if _, text := v.(string); !text || name != "error" && name != "error_description" && name != "error_uri" {
			t.Errorf("member %q: %v is not of an OAuth 2 error (%s)", name, v, res.Body)
		}
	}
	var e oauthError
	res.Decode(t, &e)
	if e.Error != code {
		t.Errorf("error = %q, want %q (%s)", e.Error, code, res.Body)
	}
	// RFC 6749 §5.2: error_description is printable ASCII without '"' or '\'.
	for _, r := range e.Description {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			t.Errorf("error_description %q holds %q, which RFC 6749 §5.2 does not allow", e.Description, r)
			break
		}
	}
	return e
}

// want401 checks the refusal of a bad access token on a protected route.
func want401(t *testing.T, res apitest.Response) {
	t.Helper()
	if res.Status != http.StatusUnauthorized {
		t.Fatalf("%d, want 401: %s", res.Status, res.Body)
	}
	if got := res.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Bearer realm="p4w", error="invalid_token", error_description="`) {
		t.Errorf(`WWW-Authenticate = %q, want Bearer realm="p4w", error="invalid_token", error_description=...`, got)
	}
	if p := res.Problem(t); p.Type != "/problems/unauthenticated" {
		t.Errorf("problem type %q", p.Type)
	}
}

// wantRetryAfter checks a 429 of the token endpoint: an OAuth 2 error slow_down with a
// positive whole number of seconds to wait.
func wantRetryAfter(t *testing.T, res apitest.Response) int {
	t.Helper()
	wantOAuthError(t, res, http.StatusTooManyRequests, "slow_down")
	ra := res.Header.Get("Retry-After")
	n, err := strconv.Atoi(ra)
	if err != nil || n <= 0 {
		t.Errorf("Retry-After = %q, want a positive number of seconds", ra)
	}
	return n
}

func basicAuth(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// unverified decodes a token's header and claims without checking anything.
func unverified(t *testing.T, token string) (map[string]any, jwt.MapClaims) {
	t.Helper()
	claims := jwt.MapClaims{}
	tok, _, err := jwt.NewParser().ParseUnverified(token, claims)
	if err != nil {
		t.Fatalf("parse token: %v", err)
	}
	return tok.Header, claims
}

func TestAuthPasswordGrant(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate Teaching Hospitals NHS Foundation Trust")
	userID, email := env.MustCreateUser(t, trust.ID, domain.RoleCoordinator)

	t.Run("form body", func(t *testing.T) {
		tok := wantToken(t, env.PostToken(t, apitest.PasswordGrant(email, apitest.Password)))
		if tok.RefreshToken == nil || *tok.RefreshToken == "" {
			t.Errorf("no refresh_token")
		}
		if want := "organisations:read participants:read participants:write imports:write reports:read"; tok.Scope != want {
			t.Errorf("scope = %q, want %q", tok.Scope, want)
		}
		header, claims := unverified(t, tok.AccessToken)
		if header["alg"] != "EdDSA" || header["typ"] != "at+jwt" || header["kid"] == nil {
			t.Errorf("token header %v", header)
		}
		if claims["sub"] != "user:"+userID.String() || claims["iss"] != env.Config.JWTIssuer || claims["org"] != trust.ID.String() ||
			claims["role"] != string(domain.RoleCoordinator) || claims["jti"] == nil || claims["jti"] == "" {
			t.Errorf("token claims %v", claims)
		}
		if aud, _ := claims.GetAudience(); len(aud) != 1 || aud[0] != env.Config.JWTAudience {
			t.Errorf("aud = %v", aud)
		}
		exp, _ := claims.GetExpirationTime()
		iat, _ := claims.GetIssuedAt()
		if exp == nil || iat == nil || exp.Sub(iat.Time) != 15*time.Minute {
			t.Errorf("exp %v, iat %v: want 15 minutes apart", exp, iat)
		}
		if res := env.Do(t, http.MethodGet, protectedPath, tok.AccessToken, ""); res.Status != http.StatusOK {
			t.Errorf("the access token on GET %s: %d %s", protectedPath, res.Status, res.Body)
		}
	})

	t.Run("JSON body", func(t *testing.T) {
		body, _ := json.Marshal(map[string]string{"grant_type": "password", "username": email, "password": apitest.Password})
		tok := wantToken(t, env.Do(t, http.MethodPost, "/v1/auth/token", "", string(body)))
		if tok.RefreshToken == nil {
			t.Errorf("no refresh_token")
		}
		if res := env.Do(t, http.MethodGet, protectedPath, tok.AccessToken, ""); res.Status != http.StatusOK {
			t.Errorf("the access token: %d %s", res.Status, res.Body)
		}
	})

	t.Run("email in another case", func(t *testing.T) {
		wantToken(t, env.PostToken(t, apitest.PasswordGrant(strings.ToUpper(email), apitest.Password)))
	})

	t.Run("missing fields", func(t *testing.T) {
		wantOAuthError(t, env.PostToken(t, apitest.Form("grant_type", "password", "password", apitest.Password)), http.StatusBadRequest, "invalid_request")
		wantOAuthError(t, env.PostToken(t, apitest.Form("grant_type", "password", "username", email)), http.StatusBadRequest, "invalid_request")
	})

	t.Run("no user enumeration", func(t *testing.T) {
		// Each case its own account name, so the per-account throttle stays out of the way.
		_, other := env.MustCreateUser(t, trust.ID, domain.RoleCoordinator)
		_, disabled := env.MustCreateUser(t, trust.ID, domain.RoleCoordinator)
		if _, err := env.DB.SQL().ExecContext(context.Background(), `UPDATE users SET enabled = false WHERE email = $1`, disabled); err != nil {
			t.Fatal(err)
		}
		unknown := env.PostToken(t, apitest.PasswordGrant("nobody-"+uuid.NewString()[:8]+"@example.org", apitest.Password))
		wrong := env.PostToken(t, apitest.PasswordGrant(other, "not the password at all"))
		off := env.PostToken(t, apitest.PasswordGrant(disabled, apitest.Password))
		wantOAuthError(t, unknown, http.StatusBadRequest, "invalid_grant")
		wantOAuthError(t, wrong, http.StatusBadRequest, "invalid_grant")
		wantOAuthError(t, off, http.StatusBadRequest, "invalid_grant")
		if string(unknown.Body) != string(wrong.Body) {
			t.Errorf("an unknown email and a wrong password answer differently:\n%s\n%s", unknown.Body, wrong.Body)
		}
		if string(off.Body) != string(wrong.Body) {
			t.Errorf("a disabled account and a wrong password answer differently:\n%s\n%s", off.Body, wrong.Body)
		}
	})
}

func TestAuthRefreshRotation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside Community Health NHS Trust")
	userID, email := env.MustCreateUser(t, trust.ID, domain.RoleCoordinator)
	signIn := func(t *testing.T) tokenAnswer {
		t.Helper()
		tok := wantToken(t, env.PostToken(t, apitest.PasswordGrant(email, apitest.Password)))
		if tok.RefreshToken == nil {
			t.Fatalf("no refresh_token")
		}
		return tok
	}
	refresh := func(t *testing.T, token string) apitest.Response {
		t.Helper()
		return env.PostToken(t, apitest.Form("grant_type", "refresh_token", "refresh_token", token))
	}
	revoke := func(t *testing.T, token string) {
		t.Helper()
		res := env.Do(t, http.MethodPost, "/v1/auth/revoke", "", apitest.Form("token", token), "Content-Type", formType)
		if res.Status != http.StatusOK {
			t.Fatalf("revoke: %d %s", res.Status, res.Body)
		}
	}

	t.Run("rotation and reuse", func(t *testing.T) {
		first := signIn(t)
		second := wantToken(t, refresh(t, *first.RefreshToken))
		if second.RefreshToken == nil || *second.RefreshToken == *first.RefreshToken {
			t.Fatalf("the refresh grant did not rotate the refresh token: %+v", second)
		}
		if second.AccessToken == first.AccessToken {
			t.Errorf("the refresh grant returned the old access token")
		}
		if want := "organisations:read participants:read participants:write imports:write reports:read"; second.Scope != want {
			t.Errorf("scope = %q, want %q", second.Scope, want)
		}
		if _, claims := unverified(t, second.AccessToken); claims["sub"] != "user:"+userID.String() {
			t.Errorf("refreshed token's sub = %v", claims["sub"])
		}
		if res := env.Do(t, http.MethodGet, protectedPath, second.AccessToken, ""); res.Status != http.StatusOK {
			t.Errorf("the refreshed access token: %d %s", res.Status, res.Body)
		}
		// The used token presented again: refused, and its whole family with it.
		wantOAuthError(t, refresh(t, *first.RefreshToken), http.StatusBadRequest, "invalid_grant")
		wantOAuthError(t, refresh(t, *second.RefreshToken), http.StatusBadRequest, "invalid_grant")
		// Each presentation of a used or revoked token is recorded.
		if n := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'auth.refresh_reuse' AND resource_id = $1`, userID.String()); n != 2 {
			t.Errorf("%d auth.refresh_reuse audit events, want 2", n)
		}
		// Another sign-in of the same user is another family, untouched.
		other := signIn(t)
		wantToken(t, refresh(t, *other.RefreshToken))
	})

	t.Run("revoke", func(t *testing.T) {
		tok := signIn(t)
		revoke(t, *tok.RefreshToken)
		wantOAuthError(t, refresh(t, *tok.RefreshToken), http.StatusBadRequest, "invalid_grant")
		// Revoking an unknown token is no error (RFC 7009 §2.2), nor is revoking twice.
		revoke(t, "never-issued-"+uuid.NewString())
		revoke(t, *tok.RefreshToken)
	})

	t.Run("revoke with a JSON body", func(t *testing.T) {
		tok := signIn(t)
		body, _ := json.Marshal(map[string]string{"token": *tok.RefreshToken})
		if res := env.Do(t, http.MethodPost, "/v1/auth/revoke", "", string(body)); res.Status != http.StatusOK {
			t.Fatalf("revoke: %d %s", res.Status, res.Body)
		}
		wantOAuthError(t, refresh(t, *tok.RefreshToken), http.StatusBadRequest, "invalid_grant")
	})

	t.Run("revoking an ancestor revokes the live descendant", func(t *testing.T) {
		first := signIn(t)
		second := wantToken(t, refresh(t, *first.RefreshToken))
		revoke(t, *first.RefreshToken)
		wantOAuthError(t, refresh(t, *second.RefreshToken), http.StatusBadRequest, "invalid_grant")
	})

	t.Run("missing refresh_token", func(t *testing.T) {
		wantOAuthError(t, env.PostToken(t, apitest.Form("grant_type", "refresh_token")), http.StatusBadRequest, "invalid_request")
	})

	t.Run("unknown refresh token", func(t *testing.T) {
		wantOAuthError(t, refresh(t, "never-issued-"+uuid.NewString()), http.StatusBadRequest, "invalid_grant")
	})

	t.Run("expired refresh token", func(t *testing.T) {
		tok := signIn(t)
		// The newest token of this user is the one just issued.
		if _, err := env.DB.SQL().ExecContext(context.Background(), `UPDATE refresh_tokens SET expires_at = now() - interval '1 minute'
			WHERE id = (SELECT id FROM refresh_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1)`, userID); err != nil {
			t.Fatal(err)
		}
		wantOAuthError(t, refresh(t, *tok.RefreshToken), http.StatusBadRequest, "invalid_grant")
	})

	t.Run("disabled user", func(t *testing.T) {
		id, otherEmail := env.MustCreateUser(t, trust.ID, domain.RoleViewer)
		tok := wantToken(t, env.PostToken(t, apitest.PasswordGrant(otherEmail, apitest.Password)))
		if _, err := env.DB.SQL().ExecContext(context.Background(), `UPDATE users SET enabled = false WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		wantOAuthError(t, refresh(t, *tok.RefreshToken), http.StatusBadRequest, "invalid_grant")
	})
}

// TestAuthRefreshConcurrentReuse presents one refresh token many times at once: exactly one
// exchange may succeed.
func TestAuthRefreshConcurrentReuse(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside Community Health NHS Trust")
	_, email := env.MustCreateUser(t, trust.ID, domain.RoleCoordinator)
	tok := wantToken(t, env.PostToken(t, apitest.PasswordGrant(email, apitest.Password)))

	const n = 8
	statuses := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequest(http.MethodPost, env.URL+"/v1/auth/token",
				strings.NewReader(apitest.Form("grant_type", "refresh_token", "refresh_token", *tok.RefreshToken)))
			if err != nil {
				errs[i] = err
				return
			}
			req.Header.Set("Content-Type", formType)
			res, err := env.HTTP.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			statuses[i] = res.StatusCode
		}()
	}
	wg.Wait()
	ok := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		switch statuses[i] {
		case http.StatusOK:
			ok++
		case http.StatusBadRequest:
		default:
			t.Errorf("request %d: %d", i, statuses[i])
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d concurrent uses of one refresh token succeeded, want exactly 1 (statuses %v)", ok, n, statuses)
	}
}

func TestAuthClientCredentials(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate Teaching Hospitals NHS Foundation Trust")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	id, clientID, secret := env.APIClient(t, admin, trust.ID, "participants:read")

	var clientToken string
	t.Run("form fields", func(t *testing.T) {
		tok := wantToken(t, env.PostToken(t, apitest.ClientGrant(clientID, secret)))
		if tok.RefreshToken != nil {
			t.Errorf("a client credentials grant returned a refresh_token")
		}
		if tok.Scope != "participants:read" {
			t.Errorf("scope = %q, want participants:read", tok.Scope)
		}
		_, claims := unverified(t, tok.AccessToken)
		if claims["sub"] != "client:"+id || claims["client_id"] != clientID || claims["scope"] != "participants:read" || claims["org"] != trust.ID.String() {
			t.Errorf("client token claims %v", claims)
		}
		clientToken = tok.AccessToken
	})
	if clientToken == "" {
		t.FailNow()
	}

	t.Run("HTTP Basic", func(t *testing.T) {
		tok := wantToken(t, env.PostToken(t, apitest.Form("grant_type", "client_credentials"), "Authorization", basicAuth(clientID, secret)))
		if tok.RefreshToken != nil || tok.Scope != "participants:read" {
			t.Errorf("token answer %+v", tok)
		}
	})

	t.Run("explicit scope within the grant", func(t *testing.T) {
		tok := wantToken(t, env.PostToken(t, apitest.ClientGrant(clientID, secret, "scope", "participants:read")))
		if tok.Scope != "participants:read" {
			t.Errorf("scope = %q", tok.Scope)
		}
	})

	t.Run("wrong secret", func(t *testing.T) {
		// Other clients of the same organisation: one failure each, so that this client's
		// failure count (see TestAuthOneFailureDoesNotLockOut) stays out of the other cases.
		_, first, firstSecret := env.APIClient(t, admin, trust.ID, "participants:read")
		_, second, _ := env.APIClient(t, admin, trust.ID, "participants:read")
		wrong := wantOAuthError(t, env.PostToken(t, apitest.ClientGrant(first, firstSecret+"x")), http.StatusUnauthorized, "invalid_client")
		unknown := wantOAuthError(t, env.PostToken(t, apitest.ClientGrant("p4w_"+strings.Repeat("0", 24), firstSecret)), http.StatusUnauthorized, "invalid_client")
		if wrong != unknown {
			t.Errorf("an unknown client and a wrong secret answer differently: %+v, %+v", unknown, wrong)
		}
		// Another client's secret is no secret of this one.
		wantOAuthError(t, env.PostToken(t, apitest.Form("grant_type", "client_credentials"), "Authorization", basicAuth(second, firstSecret)),
			http.StatusUnauthorized, "invalid_client")
	})

	t.Run("scope not granted", func(t *testing.T) {
		wantOAuthError(t, env.PostToken(t, apitest.ClientGrant(clientID, secret, "scope", "participants:write")), http.StatusBadRequest, "invalid_scope")
		wantOAuthError(t, env.PostToken(t, apitest.ClientGrant(clientID, secret, "scope", "participants:read participants:write")), http.StatusBadRequest, "invalid_scope")
	})

	t.Run("the token holds its scopes only", func(t *testing.T) {
		if res := env.Do(t, http.MethodGet, protectedPath, clientToken, ""); res.Status != http.StatusOK {
			t.Errorf("GET %s: %d %s", protectedPath, res.Status, res.Body)
		}
		body := `{"organisation_id":"` + trust.ID.String() + `","given_name":"Aisha","family_name":"Khan","date_of_birth":"2001-04-05"}`
		res := env.Do(t, http.MethodPost, protectedPath, clientToken, body)
		if res.Status != http.StatusForbidden {
			t.Fatalf("POST %s with participants:read only: %d %s", protectedPath, res.Status, res.Body)
		}
		if p := res.Problem(t); p.Type != "/problems/forbidden" {
			t.Errorf("problem type %q", p.Type)
		}
		if res := env.Do(t, http.MethodGet, "/v1/api-clients", clientToken, ""); res.Status != http.StatusForbidden {
			t.Errorf("GET /v1/api-clients as a client: %d %s", res.Status, res.Body)
		}
	})

	t.Run("revoked client", func(t *testing.T) {
		if res := env.Do(t, http.MethodDelete, "/v1/api-clients/"+id, admin, ""); res.Status != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", res.Status, res.Body)
		}
		deadline := time.Now().Add(6 * time.Second)
		for {
			res := env.Do(t, http.MethodGet, protectedPath, clientToken, "")
			if res.Status == http.StatusUnauthorized {
				want401(t, res)
				break
			}
			if res.Status != http.StatusOK {
				t.Fatalf("while waiting: %d %s", res.Status, res.Body)
			}
			if time.Now().After(deadline) {
				t.Fatal("the revoked client's access token still works after 6 s")
			}
			time.Sleep(100 * time.Millisecond)
		}
		wantOAuthError(t, env.PostToken(t, apitest.ClientGrant(clientID, secret)), http.StatusUnauthorized, "invalid_client")
	})
}

// skipIfLockedOut skips the rest of a test that meets the 500 of the bug that
// TestAuthOneFailureDoesNotLockOut reports: it cannot say anything more until that is fixed.
func skipIfLockedOut(t *testing.T, res apitest.Response) {
	t.Helper()
	if res.Status == http.StatusInternalServerError {
		t.Fatal("regression (see TestAuthOneFailureDoesNotLockOut): the token endpoint answers 500 once an account name has a recorded failure")
	}
}

// TestAuthOneFailureDoesNotLockOut: a mistyped password or secret must not stop the right one
// from working afterwards.
func TestAuthOneFailureDoesNotLockOut(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside Community Health NHS Trust")
	const bug = "regression: after one failed sign-in of an account name, every later attempt, the right password or client " +
		"secret included, answers 500: postgres.Throttle.BlockedUntil (internal/postgres/tokens.go) scans a NULL " +
		"blocked_until into *time.Time and fails (\"unsupported Scan, storing driver.Value type <nil> into type *time.Time\"), " +
		"and SignIn/ClientCredentials (internal/service/tokens.go) call it before anything else, so the failure count is never cleared"

	t.Run("user", func(t *testing.T) {
		_, email := env.MustCreateUser(t, trust.ID, domain.RoleCoordinator)
		wantOAuthError(t, env.PostToken(t, apitest.PasswordGrant(email, "mistyped password")), http.StatusBadRequest, "invalid_grant")
		res := env.PostToken(t, apitest.PasswordGrant(email, apitest.Password))
		if res.Status == http.StatusInternalServerError {
			t.Fatal(bug)
		}
		wantToken(t, res)
	})
	t.Run("API client", func(t *testing.T) {
		admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
		_, clientID, secret := env.APIClient(t, admin, trust.ID, "participants:read")
		wantOAuthError(t, env.PostToken(t, apitest.ClientGrant(clientID, "mistyped")), http.StatusUnauthorized, "invalid_client")
		res := env.PostToken(t, apitest.ClientGrant(clientID, secret))
		if res.Status == http.StatusInternalServerError {
			t.Fatal(bug)
		}
		wantToken(t, res)
	})
}

// TestAuthClientCredentialsBasicChallenge: RFC 6749 §5.2 says a client that authenticated with
// the Authorization header and failed MUST get 401 with WWW-Authenticate naming that scheme.
func TestAuthClientCredentialsBasicChallenge(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate Teaching Hospitals NHS Foundation Trust")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	_, clientID, _ := env.APIClient(t, admin, trust.ID, "participants:read")
	res := env.PostToken(t, apitest.Form("grant_type", "client_credentials"), "Authorization", basicAuth(clientID, "wrong"))
	wantOAuthError(t, res, http.StatusUnauthorized, "invalid_client")
	if got := res.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Basic") {
		t.Fatal(`regression: POST /v1/auth/token with failed HTTP Basic client authentication answers 401 invalid_client without ` +
			`WWW-Authenticate: Basic (RFC 6749 §5.2 MUST); got ` + strconv.Quote(got))
	}
}

// TestAuthClientTokenScopeIsPerToken: a client may narrow a token's scope; another token of the
// same client with more scopes must not widen it.
func TestAuthClientTokenScopeIsPerToken(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate Teaching Hospitals NHS Foundation Trust")
	admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
	_, clientID, secret := env.APIClient(t, admin, trust.ID, "participants:read", "participants:write")
	full := wantToken(t, env.PostToken(t, apitest.ClientGrant(clientID, secret)))
	narrow := wantToken(t, env.PostToken(t, apitest.ClientGrant(clientID, secret, "scope", "participants:read")))
	if narrow.Scope != "participants:read" {
		t.Fatalf("narrowed scope = %q", narrow.Scope)
	}
	// The full token is used first, then the narrowed one, within the principal cache's TTL.
	if res := env.Do(t, http.MethodGet, protectedPath, full.AccessToken, ""); res.Status != http.StatusOK {
		t.Fatalf("full token: %d %s", res.Status, res.Body)
	}
	body := `{"organisation_id":"` + trust.ID.String() + `","given_name":"Aisha","family_name":"Khan","date_of_birth":"2001-04-05"}`
	res := env.Do(t, http.MethodPost, protectedPath, narrow.AccessToken, body)
	if res.Status != http.StatusForbidden {
		t.Errorf("POST %s with a token narrowed to participants:read: %d %s", protectedPath, res.Status, res.Body)
	}
}

// forger signs tokens with the server's own key, so that a case varies exactly one thing from a
// token the server would accept.
type forger struct {
	key      ed25519.PrivateKey
	kid      string
	iss, aud string
}

func (f forger) header() map[string]any { return map[string]any{"kid": f.kid, "typ": "at+jwt"} }

func (f forger) claims(sub, org string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"iss": f.iss, "aud": []string{f.aud}, "sub": sub, "org": org, "role": string(domain.RoleCoordinator),
		"exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix(), "nbf": now.Unix(), "jti": uuid.NewString(),
	}
}

func (f forger) sign(t *testing.T, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	tok.Header = map[string]any{"alg": method.Alg()}
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

// token signs the valid header and claims after mutate changed them.
func (f forger) token(t *testing.T, sub, org string, mutate func(h map[string]any, c jwt.MapClaims)) string {
	t.Helper()
	h, c := f.header(), f.claims(sub, org)
	if mutate != nil {
		mutate(h, c)
	}
	return f.sign(t, jwt.SigningMethodEdDSA, f.key, h, c)
}

func TestTokenForgery(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate Teaching Hospitals NHS Foundation Trust")
	userID, _ := env.MustCreateUser(t, trust.ID, domain.RoleCoordinator)
	signing := env.Services.Keys.Signing()
	f := forger{key: signing.Private, kid: signing.ID, iss: env.Config.JWTIssuer, aud: env.Config.JWTAudience}
	sub, org := "user:"+userID.String(), trust.ID.String()
	get := func(t *testing.T, token string) apitest.Response {
		t.Helper()
		return env.Do(t, http.MethodGet, protectedPath, "", "", "Authorization", "Bearer "+token)
	}

	// The controls: the builder's valid tokens work, so each refusal below is that one change.
	t.Run("control", func(t *testing.T) {
		if res := get(t, f.token(t, sub, org, nil)); res.Status != http.StatusOK {
			t.Fatalf("a valid forged token: %d %s", res.Status, res.Body)
		}
		if res := get(t, f.token(t, sub, org, func(h map[string]any, _ jwt.MapClaims) { h["typ"] = "application/at+jwt" })); res.Status != http.StatusOK {
			t.Errorf("typ application/at+jwt (RFC 9068 §2.1): %d %s", res.Status, res.Body)
		}
	})

	valid := f.token(t, sub, org, nil)
	parts := strings.Split(valid, ".")
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	sig[len(sig)/2] ^= 0x01
	altered := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)

	now := time.Now()
	set := func(name string, v any) func(map[string]any, jwt.MapClaims) {
		return func(_ map[string]any, c jwt.MapClaims) { c[name] = v }
	}
	drop := func(name string) func(map[string]any, jwt.MapClaims) {
		return func(_ map[string]any, c jwt.MapClaims) { delete(c, name) }
	}
	cases := []struct {
		name  string
		token string
	}{
		{"HS256 keyed with the Ed25519 public key", f.sign(t, jwt.SigningMethodHS256, []byte(signing.Public), f.header(), f.claims(sub, org))},
		{"kid not in the key set", f.token(t, sub, org, func(h map[string]any, _ jwt.MapClaims) { h["kid"] = "no-such-key" })},
		{"kid missing", f.token(t, sub, org, func(h map[string]any, _ jwt.MapClaims) { delete(h, "kid") })},
		{"signature altered", altered},
		{"signature removed", parts[0] + "." + parts[1] + "."},
		{"expired 10 minutes ago", f.token(t, sub, org, set("exp", now.Add(-10*time.Minute).Unix()))},
		{"nbf 10 minutes ahead", f.token(t, sub, org, set("nbf", now.Add(10*time.Minute).Unix()))},
		{"iat 10 minutes ahead", f.token(t, sub, org, set("iat", now.Add(10*time.Minute).Unix()))},
		{"exp not a date", f.token(t, sub, org, set("exp", "tomorrow"))},
		{"wrong aud", f.token(t, sub, org, set("aud", []string{"another-api"}))},
		{"aud missing", f.token(t, sub, org, drop("aud"))},
		{"wrong iss", f.token(t, sub, org, set("iss", "urn:someone:else"))},
		{"iss missing", f.token(t, sub, org, drop("iss"))},
		{"exp missing", f.token(t, sub, org, drop("exp"))},
		{"iat missing", f.token(t, sub, org, drop("iat"))},
		{"jti missing", f.token(t, sub, org, drop("jti"))},
		{"org missing", f.token(t, sub, org, drop("org"))},
		{"typ JWT", f.token(t, sub, org, func(h map[string]any, _ jwt.MapClaims) { h["typ"] = "JWT" })},
		{"typ missing", f.token(t, sub, org, func(h map[string]any, _ jwt.MapClaims) { delete(h, "typ") })},
		{"crit header", f.token(t, sub, org, func(h map[string]any, _ jwt.MapClaims) { h["crit"] = []string{"exp"} })},
		{"user that does not exist", f.token(t, "user:"+uuid.NewString(), org, nil)},
		{"sub missing", f.token(t, sub, org, drop("sub"))},
		{"sub a bare uuid", f.token(t, sub, org, set("sub", userID.String()))},
		{"sub of an unknown kind", f.token(t, sub, org, set("sub", "admin:"+userID.String()))},
		{"sub kind in upper case", f.token(t, sub, org, set("sub", "USER:"+userID.String()))},
		{"sub not a uuid", f.token(t, sub, org, set("sub", "user:not-a-uuid"))},
		{"sub with a trailing part", f.token(t, sub, org, set("sub", sub+":admin"))},
		{"sub a user id as a client", f.token(t, sub, org, set("sub", "client:"+userID.String()))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want401(t, get(t, tc.token))
		})
	}

	// uuid.Parse also reads "urn:uuid:<id>", "{<id>}" and 32 bare hex digits; a subject is
	// exactly user:<id> or client:<id> in the canonical form the server issues.
	t.Run("sub in a non-canonical uuid form", func(t *testing.T) {
		var accepted []string
		for _, s := range []string{
			"user:urn:uuid:" + userID.String(),
			"user:{" + userID.String() + "}",
			"user:" + strings.ReplaceAll(userID.String(), "-", ""),
		} {
			res := get(t, f.token(t, sub, org, set("sub", s)))
			if res.Status == http.StatusOK {
				accepted = append(accepted, s)
				continue
			}
			want401(t, res)
		}
		if len(accepted) > 0 {
			t.Fatalf("regression: service.Accounts.resolve (internal/service/tokens.go) parses the subject's id with uuid.Parse, which "+
				"accepts non-canonical forms; accepted %q", accepted)
		}
	})
}

// TestAuthRateLimitPerAddress: the token endpoint slows down one address.
func TestAuthRateLimitPerAddress(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t)
	db, err := postgres.Open(context.Background(), dbURL, postgres.PoolOptions{MaxOpen: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := apitest.Config(t, dbURL)
	cfg.TokenRatePerMinute = 6 // burst 10
	h, err := app.NewHandler(cfg, db, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	do := func(t *testing.T, method, path, body string, headers ...string) apitest.Response {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, srv.URL+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", formType)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return apitest.Response{Status: res.StatusCode, Header: res.Header, Body: b}
	}
	// A cheap refusal (no password hashing): what matters is that each request counts.
	attempt := apitest.Form("grant_type", "password", "username", "someone@example.org")
	var limited *apitest.Response
	for i := range 40 {
		res := do(t, http.MethodPost, "/v1/auth/token", attempt)
		if res.Status == http.StatusTooManyRequests {
			if i < 10 {
				t.Fatalf("limited after %d requests, before the burst of 10 was spent", i)
			}
			limited = &res
			break
		}
		if res.Status != http.StatusBadRequest {
			t.Fatalf("request %d: %d %s", i, res.Status, res.Body)
		}
	}
	if limited == nil {
		t.Fatal("40 requests from one address in a row and no 429")
	}
	wantRetryAfter(t, *limited)

	// A forged X-Forwarded-For does not buy a fresh allowance (proxy headers are not trusted by default).
	if res := do(t, http.MethodPost, "/v1/auth/token", attempt, "X-Forwarded-For", "203.0.113.7"); res.Status != http.StatusTooManyRequests {
		t.Errorf("with X-Forwarded-For: %d %s", res.Status, res.Body)
	}
	// Other routes are not limited.
	if res := do(t, http.MethodGet, "/.well-known/jwks.json", ""); res.Status != http.StatusOK {
		t.Errorf("GET /.well-known/jwks.json once limited: %d", res.Status)
	}
}

// TestAuthThrottlePerAccount: failed sign-ins of one account name, counted in the database.
func TestAuthThrottlePerAccount(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside Community Health NHS Trust")

	// fail signs in with a wrong password five times, in varying case of the email.
	fail := func(t *testing.T, email string) {
		t.Helper()
		for i := range 5 {
			name := email
			if i%2 == 1 {
				name = strings.ToUpper(email)
			}
			res := env.PostToken(t, apitest.PasswordGrant(name, "wrong password "+strconv.Itoa(i)))
			skipIfLockedOut(t, res)
			wantOAuthError(t, res, http.StatusBadRequest, "invalid_grant")
		}
	}

	var known, unknown refusalShape
	t.Run("known account", func(t *testing.T) {
		_, email := env.MustCreateUser(t, trust.ID, domain.RoleCoordinator)
		fail(t, email)
		res := env.PostToken(t, apitest.PasswordGrant(email, apitest.Password))
		wait := wantRetryAfter(t, res)
		known = shapeOf(t, res)
		// The block passes: then the right password works, and clears the count.
		deadline := time.Now().Add(time.Duration(wait)*time.Second + 3*time.Second)
		for {
			res := env.PostToken(t, apitest.PasswordGrant(email, apitest.Password))
			if res.Status == http.StatusOK {
				break
			}
			if res.Status != http.StatusTooManyRequests {
				t.Fatalf("after the block: %d %s", res.Status, res.Body)
			}
			if time.Now().After(deadline) {
				t.Fatalf("still throttled 3 s after the Retry-After of %d s", wait)
			}
			time.Sleep(200 * time.Millisecond)
		}
		wantOAuthError(t, env.PostToken(t, apitest.PasswordGrant(email, "wrong again")), http.StatusBadRequest, "invalid_grant")
	})

	t.Run("unknown account", func(t *testing.T) {
		email := "nobody-" + uuid.NewString()[:8] + "@example.org"
		fail(t, email)
		res := env.PostToken(t, apitest.PasswordGrant(email, apitest.Password))
		wantRetryAfter(t, res)
		unknown = shapeOf(t, res)
	})

	if known != (refusalShape{}) && unknown != (refusalShape{}) && known != unknown {
		t.Errorf("throttling tells a known account from an unknown one: %+v, %+v", known, unknown)
	}

	t.Run("client", func(t *testing.T) {
		admin := env.User(t, trust.ID, domain.RoleOrgAdmin)
		_, clientID, secret := env.APIClient(t, admin, trust.ID, "participants:read")
		for range 5 {
			res := env.PostToken(t, apitest.ClientGrant(clientID, "wrong"))
			skipIfLockedOut(t, res)
			wantOAuthError(t, res, http.StatusUnauthorized, "invalid_client")
		}
		wantRetryAfter(t, env.PostToken(t, apitest.ClientGrant(clientID, secret)))
	})
}

// refusalShape is what a token endpoint refusal tells, to compare two answers.
type refusalShape struct {
	Status     int
	Error      oauthError
	RetryAfter string
}

func shapeOf(t *testing.T, res apitest.Response) refusalShape {
	t.Helper()
	var e oauthError
	res.Decode(t, &e)
	return refusalShape{Status: res.Status, Error: e, RetryAfter: res.Header.Get("Retry-After")}
}

// TestAuthThrottleUnderConcurrency: the per-account count must hold when the guesses arrive at
// once, or an attacker gets as many guesses per round as it sends requests.
func TestAuthThrottleUnderConcurrency(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside Community Health NHS Trust")
	_, email := env.MustCreateUser(t, trust.ID, domain.RoleCoordinator)

	const n = 20
	statuses := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req, err := http.NewRequest(http.MethodPost, env.URL+"/v1/auth/token", strings.NewReader(apitest.PasswordGrant(email, "guess "+strconv.Itoa(i))))
			if err != nil {
				errs[i] = err
				return
			}
			req.Header.Set("Content-Type", formType)
			res, err := env.HTTP.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			statuses[i] = res.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	checked, failed := 0, 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		switch statuses[i] {
		case http.StatusBadRequest: // the password was checked, and was wrong
			checked++
		case http.StatusTooManyRequests:
		case http.StatusInternalServerError:
			failed++
		default:
			t.Errorf("request %d: %d", i, statuses[i])
		}
	}
	if checked > 5 {
		t.Fatalf("regression: %d of %d concurrent guesses at one account had their password checked, want at most 5 (then 429): "+
			"service.Accounts.SignIn (internal/service/tokens.go) reads the throttle with Throttle.BlockedUntil, a plain "+
			"SELECT with no row lock, so every attempt that starts before the fifth failure commits is checked", checked, n)
	}
	if failed > 0 {
		t.Fatalf("regression (see TestAuthOneFailureDoesNotLockOut): %d of %d concurrent guesses answered 500", failed, n)
	}
}

func TestAuthJWKS(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate Teaching Hospitals NHS Foundation Trust")
	token := env.User(t, trust.ID, domain.RoleViewer)
	header, _ := unverified(t, token)
	kid, _ := header["kid"].(string)
	if kid == "" {
		t.Fatalf("token header without kid: %v", header)
	}

	res := env.Do(t, http.MethodGet, "/.well-known/jwks.json", "", "")
	if res.Status != http.StatusOK {
		t.Fatalf("GET /.well-known/jwks.json: %d %s", res.Status, res.Body)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	res.Decode(t, &set)
	var found map[string]any
	for _, k := range set.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			if _, ok := k[private]; ok {
				t.Errorf("JWKS key %v has private member %q", k["kid"], private)
			}
		}
		if k["kid"] == kid {
			found = k
		}
	}
	if found == nil {
		t.Fatalf("no key with the token's kid %q in %s", kid, res.Body)
	}
	if found["kty"] != "OKP" || found["crv"] != "Ed25519" {
		t.Errorf("key %v: want kty OKP, crv Ed25519", found)
	}
	x, _ := found["x"].(string)
	pub, err := base64.RawURLEncoding.DecodeString(x)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		t.Fatalf("key x %q: %v", x, err)
	}
	// The published key verifies the issued token.
	_, err = jwt.NewParser(jwt.WithValidMethods([]string{"EdDSA"})).Parse(token, func(*jwt.Token) (any, error) { return ed25519.PublicKey(pub), nil })
	if err != nil {
		t.Errorf("the JWKS key does not verify an issued token: %v", err)
	}
}

func TestAuthAudit(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate Teaching Hospitals NHS Foundation Trust")
	userID, email := env.MustCreateUser(t, trust.ID, domain.RoleOrgAdmin)
	const wrongPassword = "a distinctive wrong password 7c1f"
	// A failed sign-in, of another account (one failure of an account is all this test needs),
	// and one of an email that names no account.
	otherID, otherEmail := env.MustCreateUser(t, trust.ID, domain.RoleViewer)
	wantOAuthError(t, env.PostToken(t, apitest.PasswordGrant(otherEmail, wrongPassword)), http.StatusBadRequest, "invalid_grant")
	nobody := "nobody-" + uuid.NewString()[:8] + "@example.org"
	wantOAuthError(t, env.PostToken(t, apitest.PasswordGrant(nobody, wrongPassword)), http.StatusBadRequest, "invalid_grant")
	tok := wantToken(t, env.PostToken(t, apitest.PasswordGrant(email, apitest.Password)))
	refreshed := wantToken(t, env.PostToken(t, apitest.Form("grant_type", "refresh_token", "refresh_token", *tok.RefreshToken)))
	clientUUID, clientID, secret := env.APIClient(t, refreshed.AccessToken, trust.ID, "participants:read")
	wantOAuthError(t, env.PostToken(t, apitest.ClientGrant(clientID, wrongPassword)), http.StatusUnauthorized, "invalid_client")
	client := wantToken(t, env.PostToken(t, apitest.ClientGrant(clientID, secret)))

	// Failed sign-ins are audited in the name of nobody: against the account the name given
	// belongs to, in its organisation, whose admins see them; against no account and no
	// organisation when the name is nobody's. Nothing typed is kept (the scan below).
	if n := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'auth.login_failed' AND resource_type = 'user'
		AND resource_id = $1 AND actor = 'anonymous' AND organisation_id = $2`, otherID.String(), trust.ID); n != 1 {
		t.Errorf("%d auth.login_failed events of the account given a wrong password, want 1", n)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'auth.login_failed'
		AND resource_id = '' AND actor = 'anonymous' AND organisation_id IS NULL`); n != 1 {
		t.Errorf("%d auth.login_failed events of no account, want 1 (the unknown email)", n)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'auth.client_failed' AND resource_type = 'api_client'
		AND resource_id = $1 AND actor = 'anonymous' AND organisation_id = $2`, clientUUID, trust.ID); n != 1 {
		t.Errorf("%d auth.client_failed events of the client given a wrong secret, want 1", n)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'auth.login' AND resource_id = $1`, otherID.String()); n != 0 {
		t.Errorf("%d auth.login events of the account that never signed in, want 0", n)
	}

	if n := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'auth.login' AND resource_type = 'user'
		AND resource_id = $1 AND actor = $2 AND organisation_id = $3`, userID.String(), "user:"+userID.String(), trust.ID); n != 1 {
		t.Errorf("%d auth.login events of the user, want 1", n)
	}
	if n := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'auth.client_token' AND resource_type = 'api_client'
		AND resource_id = $1 AND actor = $2 AND organisation_id = $3`, clientUUID, "client:"+clientUUID, trust.ID); n != 1 {
		t.Errorf("%d auth.client_token events of the client, want 1", n)
	}

	// No secret in clear in any table: not the audit trail, nor where tokens and throttles live.
	secrets := map[string]string{
		"the password": apitest.Password, "the wrong password": wrongPassword, "the client secret": secret,
		"the unknown email": nobody,
		"a refresh token":   *tok.RefreshToken, "the rotated refresh token": *refreshed.RefreshToken,
		"an access token": tok.AccessToken, "the client's access token": client.AccessToken,
	}
	rows, err := env.DB.SQL().QueryContext(context.Background(),
		`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		rows, err := env.DB.SQL().QueryContext(context.Background(), `SELECT row_to_json(t)::text FROM "`+table+`" t`)
		if err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		n := 0
		for rows.Next() {
			var row string
			if err := rows.Scan(&row); err != nil {
				t.Fatal(err)
			}
			n++
			for what, s := range secrets {
				if strings.Contains(row, s) {
					t.Errorf("table %s holds %s in clear: %s", table, what, row)
				}
			}
			if table == "sign_in_throttle" && strings.Contains(strings.ToLower(row), strings.ToLower(email)) {
				t.Errorf("sign_in_throttle holds the email: %s", row)
			}
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		if table == "audit_events" && n == 0 {
			t.Errorf("no audit events scanned")
		}
	}
}

// TestBearerChallenges: RFC 6750 §3.1. A request that brings no bearer token learns only the
// scheme and realm; a bad token is told invalid_token, with a description; a token without
// the operation's scope gets 403 insufficient_scope naming the scope it needs.
func TestBearerChallenges(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate Teaching Hospitals NHS Foundation Trust")
	userID, _ := env.MustCreateUser(t, trust.ID, domain.RoleCoordinator)
	signing := env.Services.Keys.Signing()
	f := forger{key: signing.Private, kid: signing.ID, iss: env.Config.JWTIssuer, aud: env.Config.JWTAudience}
	sub, org := "user:"+userID.String(), trust.ID.String()
	_, stranger, _ := ed25519.GenerateKey(nil)
	expired := f.token(t, sub, org, func(_ map[string]any, c jwt.MapClaims) {
		c["exp"], c["iat"], c["nbf"] = time.Now().Add(-time.Minute).Unix(), time.Now().Add(-16*time.Minute).Unix(), time.Now().Add(-16*time.Minute).Unix()
	})
	forged := f.sign(t, jwt.SigningMethodEdDSA, stranger, f.header(), f.claims(sub, org))

	for _, tc := range []struct {
		name, authorization string
		invalid             bool // an invalid_token, not a missing one
	}{
		{"no Authorization header", "", false},
		{"HTTP Basic, which this API does not take", basicAuth("someone", "secret"), false},
		{"a garbage token", "Bearer not-a-token", true},
		{"an expired token", "Bearer " + expired, true},
		{"a token signed with another key", "Bearer " + forged, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var headers []string
			if tc.authorization != "" {
				headers = []string{"Authorization", tc.authorization}
			}
			res := env.Do(t, http.MethodGet, protectedPath, "", "", headers...)
			if !tc.invalid {
				if res.Status != http.StatusUnauthorized {
					t.Fatalf("%d, want 401: %s", res.Status, res.Body)
				}
				if got := res.Header.Get("WWW-Authenticate"); got != `Bearer realm="p4w"` {
					t.Errorf(`WWW-Authenticate = %q, want Bearer realm="p4w" and no error code (RFC 6750 §3.1)`, got)
				}
				return
			}
			want401(t, res)
		})
	}

	t.Run("insufficient scope", func(t *testing.T) {
		viewer := env.User(t, trust.ID, domain.RoleViewer)
		res := env.Do(t, http.MethodPost, protectedPath, viewer, apitest.ParticipantBody(t, trust.ID))
		if res.Status != http.StatusForbidden {
			t.Fatalf("%d, want 403: %s", res.Status, res.Body)
		}
		if got, want := res.Header.Get("WWW-Authenticate"), `Bearer realm="p4w", error="insufficient_scope", scope="participants:write"`; got != want {
			t.Errorf("WWW-Authenticate = %q, want %q", got, want)
		}
	})
}
