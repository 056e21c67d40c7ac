package apitest

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// The helpers of this file are the dialect every HTTP test speaks: paths and tokens in the order
// Env.Do takes them, a failed expectation ending the test where what follows would be noise.

// NationalAdmin creates HEE's national team and signs in one of its national_admins.
func (e *Env) NationalAdmin(tb testing.TB) (domain.Organisation, string) {
	tb.Helper()
	nat := e.Organisation(tb, domain.KindNational, "Health Education England National Team")
	return nat, e.User(tb, nat.ID, domain.RoleNationalAdmin)
}

// MustCreateUser creates a user of org with role and Password, without signing it in, and
// returns its id and email.
func (e *Env) MustCreateUser(tb testing.TB, org uuid.UUID, role domain.Role) (uuid.UUID, string) {
	tb.Helper()
	email := strings.ToLower(string(role)) + "-" + Unique() + "@example.org"
	u, err := e.Services.Accounts.CreateUser(System(), domain.User{Email: email, OrganisationID: org, Role: role}, Password)
	if err != nil {
		tb.Fatalf("create user: %v", err)
	}
	return u.ID, email
}

// PostToken sends a form body to the token endpoint; more headers come in name, value pairs.
func (e *Env) PostToken(tb testing.TB, form string, headers ...string) Response {
	tb.Helper()
	return e.Do(tb, http.MethodPost, "/v1/auth/token", "", form, append([]string{"Content-Type", "application/x-www-form-urlencoded"}, headers...)...)
}

// ClientToken signs an API client in with the client credentials grant and returns its access
// token.
func (e *Env) ClientToken(tb testing.TB, clientID, secret string) string {
	tb.Helper()
	res := e.PostToken(tb, ClientGrant(clientID, secret))
	WantStatus(tb, res, http.StatusOK)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	res.Decode(tb, &tok)
	return tok.AccessToken
}

// Form encodes name, value pairs as a form body.
func Form(pairs ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Set(pairs[i], pairs[i+1])
	}
	return v.Encode()
}

// PasswordGrant is the form body of a password grant.
func PasswordGrant(email, password string) string {
	return Form("grant_type", "password", "username", email, "password", password)
}

// ClientGrant is the form body of a client credentials grant; more are further name, value pairs.
func ClientGrant(clientID, secret string, more ...string) string {
	return Form(append([]string{"grant_type", "client_credentials", "client_id", clientID, "client_secret", secret}, more...)...)
}

// Patch sends body as a JSON merge patch; headers come in name, value pairs.
func (e *Env) Patch(tb testing.TB, path, token, body string, headers ...string) Response {
	tb.Helper()
	return e.Do(tb, http.MethodPatch, path, token, body, append([]string{"Content-Type", "application/merge-patch+json"}, headers...)...)
}

// MustCreate posts body to the collection at path and returns the id of the record created.
func (e *Env) MustCreate(tb testing.TB, path, token, body string) string {
	tb.Helper()
	return CreatedID(tb, e.Do(tb, http.MethodPost, path, token, body))
}

// CreatedID checks that res is a 201 and returns the id of the record it carries.
func CreatedID(tb testing.TB, res Response) string {
	tb.Helper()
	if res.Status != http.StatusCreated {
		tb.Fatalf("create: %d %s", res.Status, res.Body)
	}
	var v struct {
		ID string `json:"id"`
	}
	res.Decode(tb, &v)
	return v.ID
}

// MustPost posts body to the collection at path and decodes the record created, checking the
// 201, its Location and its first ETag.
func MustPost[T any](tb testing.TB, e *Env, path, token, body string) T {
	tb.Helper()
	res := e.Do(tb, http.MethodPost, path, token, body)
	if res.Status != http.StatusCreated {
		tb.Fatalf("POST %s %s: %d %s", path, body, res.Status, res.Body)
	}
	var created struct {
		ID string `json:"id"`
	}
	res.Decode(tb, &created)
	if loc := res.Header.Get("Location"); loc != path+"/"+created.ID {
		tb.Errorf("POST %s: Location %q, want %q", path, loc, path+"/"+created.ID)
	}
	if tag := res.Header.Get("ETag"); tag != `"1"` {
		tb.Errorf("POST %s: ETag %q, want \"1\"", path, tag)
	}
	var v T
	res.Decode(tb, &v)
	return v
}

// MustGet reads the record at path, checking the 200 and that its ETag is its version.
func MustGet[T any](tb testing.TB, e *Env, path, token string) T {
	tb.Helper()
	res := e.Do(tb, http.MethodGet, path, token, "")
	if res.Status != http.StatusOK {
		tb.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
	}
	WantVersionTag(tb, "GET "+path, res)
	var v T
	res.Decode(tb, &v)
	return v
}

// MustPatch applies a merge patch and decodes the record, checking the 200 and the new ETag.
func MustPatch[T any](tb testing.TB, e *Env, path, token, body string, headers ...string) T {
	tb.Helper()
	res := e.Patch(tb, path, token, body, headers...)
	if res.Status != http.StatusOK {
		tb.Fatalf("PATCH %s %s: %d %s", path, body, res.Status, res.Body)
	}
	WantVersionTag(tb, "PATCH "+path, res)
	var v T
	res.Decode(tb, &v)
	return v
}

// MustDelete deletes the record at path, checking the 204.
func (e *Env) MustDelete(tb testing.TB, path, token string, headers ...string) {
	tb.Helper()
	if res := e.Do(tb, http.MethodDelete, path, token, "", headers...); res.Status != http.StatusNoContent {
		tb.Fatalf("DELETE %s: %d %s", path, res.Status, res.Body)
	}
}

// WantVersionTag checks that the ETag of res is the version of the record it carries.
func WantVersionTag(tb testing.TB, what string, res Response) {
	tb.Helper()
	var v struct {
		Version int64 `json:"version"`
	}
	res.Decode(tb, &v)
	if tag := res.Header.Get("ETag"); tag != ETag(v.Version) {
		tb.Errorf("%s: ETag %q for version %d", what, tag, v.Version)
	}
}

// FirstPage returns the first page (up to 500) of the collection at path with query, failing
// when more pages follow.
func FirstPage[T any](tb testing.TB, e *Env, path, token string, query url.Values) []T {
	tb.Helper()
	q := url.Values{"limit": {"500"}}
	for k, v := range query {
		q[k] = v
	}
	res := e.Do(tb, http.MethodGet, path+"?"+q.Encode(), token, "")
	if res.Status != http.StatusOK {
		tb.Fatalf("GET %s?%s: %d %s", path, q.Encode(), res.Status, res.Body)
	}
	var page struct {
		Data       []T     `json:"data"`
		NextCursor *string `json:"next_cursor"`
	}
	res.Decode(tb, &page)
	if page.NextCursor != nil {
		tb.Fatalf("GET %s?%s: an unexpected second page", path, q.Encode())
	}
	return page.Data
}

// AllPages walks every page of path (which may carry a query) with page size limit, checking
// that no page is longer than limit, and returns every item.
func AllPages[T any](tb testing.TB, e *Env, path, token string, limit int) []T {
	tb.Helper()
	u, err := url.Parse(path)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("limit", strconv.Itoa(limit))
	var out []T
	for pages := 0; ; pages++ {
		if pages > 1000 {
			tb.Fatalf("%s: more than 1000 pages", path)
		}
		u.RawQuery = q.Encode()
		res := e.Do(tb, http.MethodGet, u.String(), token, "")
		WantStatus(tb, res, http.StatusOK)
		var page struct {
			Data       []T     `json:"data"`
			NextCursor *string `json:"next_cursor"`
		}
		res.Decode(tb, &page)
		if len(page.Data) > limit {
			tb.Fatalf("%s: a page of %d items for limit %d", u, len(page.Data), limit)
		}
		out = append(out, page.Data...)
		if page.NextCursor == nil {
			return out
		}
		q.Set("cursor", *page.NextCursor)
	}
}

// MustQueryInt runs a query of one integer (a count, say) on the test database.
func (e *Env) MustQueryInt(tb testing.TB, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := e.DB.SQL().QueryRow(query, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

// WantStatus stops the test when res is not of the status wanted.
func WantStatus(tb testing.TB, res Response, want int) {
	tb.Helper()
	if res.Status != want {
		tb.Fatalf("status %d, want %d: %s", res.Status, want, res.Body)
	}
}

// WantProblem checks that res is a problem+json of status naming field (when field is not
// empty), and returns it.
func WantProblem(tb testing.TB, res Response, status int, field string) Problem {
	tb.Helper()
	WantStatus(tb, res, status)
	p := res.Problem(tb)
	if field != "" && !slices.Contains(p.Fields(), field) {
		tb.Errorf("problem names %v, want %q: %s", p.Fields(), field, res.Body)
	}
	return p
}

// Claims decodes an access token's claims without verifying it: the server's own tokens, read
// for their subject or scope.
func Claims(tb testing.TB, token string) jwt.MapClaims {
	tb.Helper()
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		tb.Fatalf("parse own token: %v", err)
	}
	return claims
}
