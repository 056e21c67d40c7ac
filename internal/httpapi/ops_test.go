package httpapi_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/app"
	"github.com/p4w-nhs/p4w/internal/auth"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/pgtest"
	"github.com/p4w-nhs/p4w/internal/postgres"
)

// checkOpsHeaders asserts what every response carries, whatever its status.
func checkOpsHeaders(t *testing.T, what string, res apitest.Response) {
	t.Helper()
	if res.Header.Get("X-Request-ID") == "" {
		t.Errorf("%s: no X-Request-ID", what)
	}
	if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options = %q, want nosniff", what, got)
	}
}

func TestOpsHealthAndReadiness(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		res := env.Do(t, http.MethodGet, path, "", "")
		if res.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		var body map[string]any
		res.Decode(t, &body)
		if len(body) != 1 || body["status"] != "ok" {
			t.Errorf("GET %s: body %s, want {\"status\":\"ok\"}", path, res.Body)
		}
		checkOpsHeaders(t, "GET "+path, res)
	}
}

// metricLines returns the sample lines of the metric family name (name{...} value).
func metricLines(text, name string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, name+"{") || strings.HasPrefix(line, name+" ") {
			out = append(out, line)
		}
	}
	return out
}

func anyLine(lines []string, parts ...string) bool {
	return slices.ContainsFunc(lines, func(l string) bool {
		for _, p := range parts {
			if !strings.Contains(l, p) {
				return false
			}
		}
		return true
	})
}

func TestOpsMetrics(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate Teaching Hospitals NHS Foundation Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)

	if res := env.Do(t, http.MethodGet, "/v1/programmes", token, ""); res.Status != http.StatusOK {
		t.Fatalf("list programmes: %d %s", res.Status, res.Body)
	}
	if res := env.Do(t, http.MethodGet, "/v1/participants?q=Smith", token, ""); res.Status != http.StatusOK {
		t.Fatalf("search participants: %d %s", res.Status, res.Body)
	}
	missing := uuid.NewString()
	if res := env.Do(t, http.MethodGet, "/v1/participants/"+missing, token, ""); res.Status != http.StatusNotFound {
		t.Fatalf("get a missing participant: %d %s", res.Status, res.Body)
	}
	if res := env.Do(t, http.MethodGet, "/no/such/path/Jones", "", ""); res.Status != http.StatusNotFound {
		t.Fatalf("unknown path: %d %s", res.Status, res.Body)
	}

	res := env.Do(t, http.MethodGet, "/metrics", "", "")
	if res.Status != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", res.Status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("GET /metrics: Content-Type %q, want Prometheus text", ct)
	}
	text := string(res.Body)

	requests := metricLines(text, "p4w_http_requests_total")
	if !anyLine(requests, `method="GET"`, `route="/v1/programmes"`, `status="200"`) {
		t.Errorf("no p4w_http_requests_total for GET /v1/programmes 200 in:\n%s", strings.Join(requests, "\n"))
	}
	if !anyLine(requests, `method="GET"`, `route="/v1/participants"`, `status="200"`) {
		t.Errorf("no p4w_http_requests_total for GET /v1/participants 200 in:\n%s", strings.Join(requests, "\n"))
	}
	buckets := metricLines(text, "p4w_http_request_duration_seconds_bucket")
	if !anyLine(buckets, `route="/v1/programmes"`, `le="+Inf"`) {
		t.Errorf("no p4w_http_request_duration_seconds_bucket for /v1/programmes in:\n%s", strings.Join(buckets, "\n"))
	}
	// Labels are route templates, never URLs: no query string, no searched-for name, no id.
	for _, leak := range []string{"Smith", "q=", "?", missing, "Jones", "/no/such/path"} {
		for _, l := range append(requests, buckets...) {
			if strings.Contains(l, leak) {
				t.Errorf("metrics leak %q: %s", leak, l)
			}
		}
	}
	if strings.Contains(text, "Smith") || strings.Contains(text, missing) {
		t.Errorf("/metrics repeats a request's URL")
	}
	// The database pool.
	for _, name := range []string{"p4w_db_pool_max_connections", "p4w_db_pool_acquires_total", "p4w_db_pool_acquire_waits_total",
		"p4w_db_pool_acquire_seconds_total"} {
		if len(metricLines(text, name)) == 0 {
			t.Errorf("no %s in /metrics", name)
		}
	}
	for _, state := range []string{"in_use", "idle", "opening"} {
		if !anyLine(metricLines(text, "p4w_db_pool_connections"), `state="`+state+`"`) {
			t.Errorf("no p4w_db_pool_connections{state=%q} in /metrics", state)
		}
	}
	// apitest opens its pool with MaxOpen 10.
	if !anyLine(metricLines(text, "p4w_db_pool_max_connections"), " 10") {
		t.Errorf("p4w_db_pool_max_connections is not 10: %v", metricLines(text, "p4w_db_pool_max_connections"))
	}
	checkOpsHeaders(t, "GET /metrics", res)
}

func TestOpsOpenAPIDocument(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	res := env.Do(t, http.MethodGet, "/openapi.yaml", "", "")
	if res.Status != http.StatusOK {
		t.Fatalf("GET /openapi.yaml: %d %s", res.Status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, "yaml") {
		t.Errorf("GET /openapi.yaml: Content-Type %q", ct)
	}
	checkOpsHeaders(t, "GET /openapi.yaml", res)
	if !strings.HasPrefix(string(res.Body), "openapi: ") {
		t.Errorf("/openapi.yaml does not read as block YAML: %.80q", res.Body)
	}
	if !bytes.Equal(res.Body, api.Spec) {
		t.Errorf("/openapi.yaml is not openapi.yaml as written (api.Spec)")
	}
	served, err := openapi3.NewLoader().LoadFromData(res.Body)
	if err != nil {
		t.Fatalf("parse /openapi.yaml: %v", err)
	}
	if err := served.Validate(context.Background()); err != nil {
		t.Errorf("/openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	embedded, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	// The generated code embeds the spec with its operationIds capitalised (GetHealth for
	// getHealth): compare them without regard to case.
	// The Open Referral UK operations are plain routes (openreferral.go), hidden from the
	// generator by api/server.overlay.yaml, and so are their schemas.
	byHand := func(path string) bool { return strings.HasPrefix(path, "/openreferral/") }
	operations := func(doc *openapi3.T) []string {
		var out []string
		for path, item := range doc.Paths.Map() {
			if byHand(path) {
				continue
			}
			for method, op := range item.Operations() {
				out = append(out, method+" "+path+" "+strings.ToLower(op.OperationID))
			}
		}
		slices.Sort(out)
		return out
	}
	got, want := operations(served), operations(embedded)
	if !slices.Equal(got, want) {
		t.Errorf("/openapi.yaml operations differ from the embedded spec:\n got %v\nwant %v", got, want)
	}
	if len(want) == 0 {
		t.Fatal("the embedded spec has no operations")
	}
	// The generator is shown TokenRequest's grants as one flat object (api/server.overlay.yaml).
	flattened := []string{"PasswordGrant", "RefreshTokenGrant", "ClientCredentialsGrant", "TokenExchangeGrant"}
	schemas := func(doc *openapi3.T) []string {
		var out []string
		for name := range doc.Components.Schemas {
			if !slices.Contains(flattened, name) && !strings.HasPrefix(name, "OpenReferral") {
				out = append(out, name)
			}
		}
		slices.Sort(out)
		return out
	}
	if got, want := schemas(served), schemas(embedded); !slices.Equal(got, want) {
		t.Errorf("/openapi.yaml schemas differ from the embedded spec:\n got %v\nwant %v", got, want)
	}
	if served.Info.Version != embedded.Info.Version {
		t.Errorf("version %q, embedded %q", served.Info.Version, embedded.Info.Version)
	}
}

func TestOpsDocs(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	res := env.Do(t, http.MethodGet, "/docs", "", "")
	if res.Status != http.StatusOK {
		t.Fatalf("GET /docs: %d %s", res.Status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET /docs: Content-Type %q", ct)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("GET /docs: Content-Security-Policy %q", csp)
	}
	checkOpsHeaders(t, "GET /docs", res)
	// Swagger UI comes from the binary, through the same middleware as the page.
	bundle := regexp.MustCompile(`/docs/assets/swagger-ui-bundle\.js\?v=[0-9a-f]+`).FindString(string(res.Body))
	if bundle == "" {
		t.Fatalf("/docs does not load Swagger UI:\n%s", res.Body)
	}
	res = env.Do(t, http.MethodGet, bundle, "", "")
	if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("GET %s: %d, Content-Type %q", bundle, res.Status, res.Header.Get("Content-Type"))
	}
	checkOpsHeaders(t, "GET "+bundle, res)
}

func TestOpsRequestID(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)

	t.Run("well-formed is echoed", func(t *testing.T) {
		for _, id := range []string{"abc-123", "req.42:retry_1", "0190a000-0000-7000-8000-000000000001", strings.Repeat("x", 64)} {
			res := env.Do(t, http.MethodGet, "/healthz", "", "", "X-Request-ID", id)
			if got := res.Header.Get("X-Request-ID"); got != id {
				t.Errorf("sent %q, got back %q", id, got)
			}
		}
	})
	t.Run("malformed is replaced", func(t *testing.T) {
		for _, id := range []string{"has spaces in it", strings.Repeat("a", 200), strings.Repeat("y", 65), "semi;colon", "<script>", "a/b", "quote\"d"} {
			res := env.Do(t, http.MethodGet, "/healthz", "", "", "X-Request-ID", id)
			got := res.Header.Get("X-Request-ID")
			if got == id || got == "" {
				t.Errorf("sent %q, got back %q: want a fresh id", id, got)
				continue
			}
			if _, err := uuid.Parse(got); err != nil {
				t.Errorf("replacement id %q is not a UUID", got)
			}
		}
	})
	t.Run("made when absent, unique", func(t *testing.T) {
		a := env.Do(t, http.MethodGet, "/healthz", "", "").Header.Get("X-Request-ID")
		b := env.Do(t, http.MethodGet, "/healthz", "", "").Header.Get("X-Request-ID")
		if a == "" || a == b {
			t.Errorf("generated ids %q and %q", a, b)
		}
	})
	t.Run("on every response, equal to the problem's", func(t *testing.T) {
		cases := []struct {
			method, path string
			status       int
		}{
			{http.MethodGet, "/nowhere", http.StatusNotFound},
			{http.MethodGet, "/v1/programmes", http.StatusUnauthorized},
			{http.MethodDelete, "/v1/programmes", http.StatusMethodNotAllowed},
			{http.MethodGet, "/v1/participants/" + uuid.NewString(), http.StatusUnauthorized},
		}
		for _, tc := range cases {
			for _, sent := range []string{"", "caller-id-7", "bad id"} {
				var hdr []string
				if sent != "" {
					hdr = []string{"X-Request-ID", sent}
				}
				res := env.Do(t, tc.method, tc.path, "", "", hdr...)
				if res.Status != tc.status {
					t.Fatalf("%s %s: %d, want %d: %s", tc.method, tc.path, res.Status, tc.status, res.Body)
				}
				got := res.Header.Get("X-Request-ID")
				if got == "" {
					t.Fatalf("%s %s: no X-Request-ID", tc.method, tc.path)
				}
				if sent == "caller-id-7" && got != sent {
					t.Errorf("%s %s: X-Request-ID %q, want %q", tc.method, tc.path, got, sent)
				}
				if p := res.Problem(t); p.RequestID != got {
					t.Errorf("%s %s: problem request_id %q, header %q", tc.method, tc.path, p.RequestID, got)
				}
			}
		}
	})
}

func TestOpsNotFoundAndMethodNotAllowed(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	cases := []struct {
		method, path string
		status       int
		typ          string
	}{
		{http.MethodGet, "/nowhere", http.StatusNotFound, "/problems/not_found"},
		{http.MethodGet, "/v1", http.StatusNotFound, "/problems/not_found"},
		{http.MethodGet, "/v1/programmes/extra/segments", http.StatusNotFound, "/problems/not_found"},
		{http.MethodPost, "/v2/participants", http.StatusNotFound, "/problems/not_found"},
		{http.MethodDelete, "/v1/programmes", http.StatusMethodNotAllowed, "/problems/method_not_allowed"},
		{http.MethodPut, "/v1/participants", http.StatusMethodNotAllowed, "/problems/method_not_allowed"},
		{http.MethodPost, "/healthz", http.StatusMethodNotAllowed, "/problems/method_not_allowed"},
	}
	for _, tc := range cases {
		res := env.Do(t, tc.method, tc.path, "", "")
		if res.Status != tc.status {
			t.Errorf("%s %s: %d, want %d: %s", tc.method, tc.path, res.Status, tc.status, res.Body)
			continue
		}
		if p := res.Problem(t); p.Type != tc.typ {
			t.Errorf("%s %s: problem type %q, want %q", tc.method, tc.path, p.Type, tc.typ)
		}
		checkOpsHeaders(t, tc.method+" "+tc.path, res)
	}
}

func TestOpsBodyLimit(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside Community Health NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	if env.Config.BodyLimitBytes != 65536 {
		t.Fatalf("apitest body limit is %d, this test assumes 65536", env.Config.BodyLimitBytes)
	}
	big := `{"organisation_id":"` + trust.ID.String() + `","given_name":"` + strings.Repeat("A", 70_000) +
		`","family_name":"B","date_of_birth":"2000-01-01"}`

	t.Run("declared length", func(t *testing.T) {
		res := env.Do(t, http.MethodPost, "/v1/participants", token, big)
		if res.Status != http.StatusRequestEntityTooLarge {
			t.Fatalf("%d %s", res.Status, res.Body)
		}
		if p := res.Problem(t); p.Type != "/problems/too_large" {
			t.Errorf("problem type %q", p.Type)
		}
		checkOpsHeaders(t, "413", res)
	})
	t.Run("chunked", func(t *testing.T) {
		// An io.Reader of unknown length: the request goes chunked, with no Content-Length to refuse early.
		req, err := http.NewRequest(http.MethodPost, env.URL+"/v1/participants", io.MultiReader(strings.NewReader(big)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := env.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("%d %s", res.StatusCode, body)
		}
		apitest.Response{Status: res.StatusCode, Header: res.Header, Body: body}.Problem(t)
	})
	t.Run("just under the limit is read", func(t *testing.T) {
		res := env.Do(t, http.MethodPost, "/v1/participants", token, big[:60_000]) // cut: not JSON
		if res.Status == http.StatusRequestEntityTooLarge {
			t.Fatalf("a %d byte body was refused as too large", 60_000)
		}
	})
}

// jwksKey is the first key of the server's JWKS.
func jwksKey(t *testing.T, env *apitest.Env) (kid string, pub ed25519.PublicKey) {
	t.Helper()
	res := env.Do(t, http.MethodGet, "/.well-known/jwks.json", "", "")
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
			X   string `json:"x"`
		} `json:"keys"`
	}
	res.Decode(t, &set)
	if len(set.Keys) == 0 {
		t.Fatalf("empty JWKS: %s", res.Body)
	}
	x, err := base64.RawURLEncoding.DecodeString(set.Keys[0].X)
	if err != nil {
		t.Fatal(err)
	}
	return set.Keys[0].Kid, ed25519.PublicKey(x)
}

func sign(t *testing.T, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", method.Alg(), err)
	}
	return s
}

// expectInvalidToken checks a 401 for a bad credential. RFC 6750 §3.1: a request that brought
// no bearer token (none at all, or another scheme: noBearer) gets the challenge with no error
// code; a bad bearer token gets error="invalid_token".
func expectInvalidToken(t *testing.T, res apitest.Response, noBearer bool) {
	t.Helper()
	if res.Status != http.StatusUnauthorized {
		t.Fatalf("%d, want 401: %s", res.Status, res.Body)
	}
	got := res.Header.Get("WWW-Authenticate")
	switch {
	case noBearer && got != `Bearer realm="p4w"`:
		t.Errorf(`WWW-Authenticate = %q, want Bearer realm="p4w"`, got)
	case !noBearer && !strings.HasPrefix(got, `Bearer realm="p4w", error="invalid_token", error_description="`):
		t.Errorf(`WWW-Authenticate = %q, want Bearer realm="p4w", error="invalid_token", error_description=...`, got)
	}
	p := res.Problem(t)
	if p.RequestID != res.Header.Get("X-Request-ID") {
		t.Errorf("request_id %q, header %q", p.RequestID, res.Header.Get("X-Request-ID"))
	}
	checkOpsHeaders(t, "401", res)
}

func TestOpsTokenAttacks(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate Teaching Hospitals NHS Foundation Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	const route = "/v1/programmes"
	if res := env.Do(t, http.MethodGet, route, token, ""); res.Status != http.StatusOK {
		t.Fatalf("the genuine token: %d %s", res.Status, res.Body)
	}
	kid, pub := jwksKey(t, env)
	claims := apitest.Claims(t, token)
	header := map[string]any{"kid": kid, "typ": "at+jwt"}
	_, otherKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherKid := auth.KeyID(otherKey.Public().(ed25519.PublicKey))

	raised := jwt.MapClaims{}
	for k, v := range claims {
		raised[k] = v
	}
	raised["role"] = string(domain.RoleNationalAdmin)
	parts := strings.Split(token, ".")
	payload, err := json.Marshal(raised)
	if err != nil {
		t.Fatal(err)
	}
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]

	sub, _ := claims["sub"].(string)
	past := env.Services.Tokens.WithClock(func() time.Time { return time.Now().Add(-2 * time.Hour) })
	expired, _, err := past.Issue(sub, trust.ID.String(), string(domain.RoleCoordinator), "organisations:read", "")
	if err != nil {
		t.Fatal(err)
	}
	otherAudience, err := auth.NewTokens(env.Services.Keys, env.Config.JWTIssuer, "another-api", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	wrongAud, _, err := otherAudience.Issue(sub, trust.ID.String(), string(domain.RoleCoordinator), "", "")
	if err != nil {
		t.Fatal(err)
	}
	otherIssuer, err := auth.NewTokens(env.Services.Keys, "urn:someone:else", env.Config.JWTAudience, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	wrongIss, _, err := otherIssuer.Issue(sub, trust.ID.String(), string(domain.RoleCoordinator), "", "")
	if err != nil {
		t.Fatal(err)
	}
	unknownSubject, _, err := env.Services.Tokens.Issue("user:"+uuid.NewString(), trust.ID.String(), string(domain.RoleCoordinator), "", "")
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name          string
		authorization string // "" sends none
		query         string
	}{
		{"no token", "", ""},
		{"basic scheme", "Basic " + base64.StdEncoding.EncodeToString([]byte("user:password")), ""},
		{"empty bearer", "Bearer ", ""},
		{"garbage bearer", "Bearer not-a-token", ""},
		{"garbage three parts", "Bearer aaa.bbb.ccc", ""},
		{"token without scheme", token, ""},
		{"token in the query string", "", "?access_token=" + token},
		{"alg none", "Bearer " + sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, header, claims), ""},
		{"alg none, signature kept", "Bearer " + strings.TrimSuffix(sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, header, claims), ".") + "." + parts[2], ""},
		{"another Ed25519 key, our kid", "Bearer " + sign(t, jwt.SigningMethodEdDSA, otherKey, header, claims), ""},
		{"another Ed25519 key, its kid", "Bearer " + sign(t, jwt.SigningMethodEdDSA, otherKey, map[string]any{"kid": otherKid, "typ": "at+jwt"}, claims), ""},
		{"HS256 keyed with our public key", "Bearer " + sign(t, jwt.SigningMethodHS256, []byte(pub), header, claims), ""},
		{"tampered payload", "Bearer " + tampered, ""},
		{"expired", "Bearer " + expired, ""},
		{"wrong audience", "Bearer " + wrongAud, ""},
		{"wrong issuer", "Bearer " + wrongIss, ""},
		{"unknown user", "Bearer " + unknownSubject, ""},
		{"9 KiB header", "Bearer " + strings.Repeat("a", 9<<10), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.authorization != "" {
				hdr = []string{"Authorization", tc.authorization}
			}
			expectInvalidToken(t, env.Do(t, http.MethodGet, route+tc.query, "", "", hdr...), !strings.HasPrefix(tc.authorization, "Bearer "))
		})
	}
	// The public endpoints stay public whatever the Authorization header says.
	if res := env.Do(t, http.MethodGet, "/healthz", "", "", "Authorization", "Bearer not-a-token"); res.Status != http.StatusOK {
		t.Errorf("/healthz with a bad token: %d %s", res.Status, res.Body)
	}
}

func TestOpsTokenOfDisabledUserStopsWorking(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Riverside Community Health NHS Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	if res := env.Do(t, http.MethodGet, "/v1/programmes", token, ""); res.Status != http.StatusOK {
		t.Fatalf("before: %d %s", res.Status, res.Body)
	}
	sub, _ := apitest.Claims(t, token)["sub"].(string)
	id, err := uuid.Parse(strings.TrimPrefix(sub, "user:"))
	if err != nil {
		t.Fatalf("token subject %q: %v", sub, err)
	}
	r, err := env.DB.SQL().ExecContext(context.Background(), `UPDATE users SET enabled = false WHERE id = $1`, id)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := r.RowsAffected(); n != 1 {
		t.Fatalf("disabled %d users", n)
	}
	// Within the principal cache's TTL (5 s) the token must stop working; poll, with a margin.
	deadline := time.Now().Add(7 * time.Second)
	for {
		res := env.Do(t, http.MethodGet, "/v1/programmes", token, "")
		if res.Status == http.StatusUnauthorized {
			expectInvalidToken(t, res, false)
			break
		}
		if res.Status != http.StatusOK {
			t.Fatalf("while waiting: %d %s", res.Status, res.Body)
		}
		if time.Now().After(deadline) {
			t.Fatal("the disabled user's token still works after 7 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// And it stays refused.
	if res := env.Do(t, http.MethodGet, "/v1/programmes", token, ""); res.Status != http.StatusUnauthorized {
		t.Errorf("after: %d", res.Status)
	}
}

func TestOpsCORS(t *testing.T) {
	t.Parallel()
	const portal = "https://portal.example.org"
	dbURL := pgtest.NewURL(t)
	db, err := postgres.Open(context.Background(), dbURL, postgres.PoolOptions{MaxOpen: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := apitest.Config(t, dbURL)
	cfg.CORSOrigins = []string{portal}
	h, err := app.NewHandler(cfg, db, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	plain := apitest.New(t) // no CORS origins configured

	do := func(t *testing.T, base, method, path string, headers ...string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if got := res.Header.Get("Access-Control-Allow-Credentials"); strings.EqualFold(got, "true") {
			t.Errorf("%s %s from %v: Access-Control-Allow-Credentials: true", method, path, headers)
		}
		return res
	}
	preflight := func(t *testing.T, base, origin string) *http.Response {
		return do(t, base, http.MethodOptions, "/v1/programmes", "Origin", origin,
			"Access-Control-Request-Method", http.MethodGet, "Access-Control-Request-Headers", "authorization")
	}

	t.Run("preflight from the allowed origin", func(t *testing.T) {
		res := preflight(t, srv.URL, portal)
		if res.StatusCode >= 300 {
			t.Errorf("status %d", res.StatusCode)
		}
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != portal {
			t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, portal)
		}
		if got := res.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(got, http.MethodGet) {
			t.Errorf("Access-Control-Allow-Methods = %q", got)
		}
		if got := strings.ToLower(res.Header.Get("Access-Control-Allow-Headers")); !strings.Contains(got, "authorization") {
			t.Errorf("Access-Control-Allow-Headers = %q", got)
		}
		if !slices.Contains(res.Header.Values("Vary"), "Origin") && !strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "Origin") {
			t.Errorf("Vary = %q, want Origin", res.Header.Values("Vary"))
		}
		if res.Header.Get("X-Request-ID") == "" {
			t.Errorf("preflight without X-Request-ID")
		}
	})
	t.Run("preflight from other origins", func(t *testing.T) {
		for _, origin := range []string{
			"https://evil.example.com",
			"https://portal.example.org.evil.example.com",
			"https://portalxexample.org",
			"http://portal.example.org",
			"https://portal.example.org:8443",
			"null",
		} {
			res := preflight(t, srv.URL, origin)
			if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("origin %q got Access-Control-Allow-Origin %q", origin, got)
			}
		}
	})
	t.Run("actual requests", func(t *testing.T) {
		res := do(t, srv.URL, http.MethodGet, "/healthz", "Origin", portal)
		if res.StatusCode != http.StatusOK || res.Header.Get("Access-Control-Allow-Origin") != portal {
			t.Errorf("GET /healthz from the portal: %d, Access-Control-Allow-Origin %q", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
		}
		if got := res.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(got, "X-Request-ID") || !strings.Contains(got, "ETag") {
			t.Errorf("Access-Control-Expose-Headers = %q", got)
		}
		res = do(t, srv.URL, http.MethodGet, "/v1/programmes", "Origin", "https://evil.example.com")
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("GET from an unknown origin got Access-Control-Allow-Origin %q", got)
		}
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET /v1/programmes without a token from an unknown origin: %d", res.StatusCode)
		}
	})
	t.Run("no origins configured", func(t *testing.T) {
		res := preflight(t, plain.URL, portal)
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("without P4W_CORS_ORIGINS a preflight got Access-Control-Allow-Origin %q", got)
		}
		res = do(t, plain.URL, http.MethodGet, "/healthz", "Origin", portal)
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("without P4W_CORS_ORIGINS a GET got Access-Control-Allow-Origin %q", got)
		}
	})
}

func TestOpsMethodNotAllowedListsAllowedMethods(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	res := env.Do(t, http.MethodDelete, "/v1/programmes", "", "")
	if res.Status != http.StatusMethodNotAllowed {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	allow := res.Header.Get("Allow")
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		if !strings.Contains(allow, m) {
			t.Errorf("Allow = %q, want it to list %s", allow, m)
		}
	}
}

func TestOpsBearerSchemeIsCaseInsensitive(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate Teaching Hospitals NHS Foundation Trust")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	for _, scheme := range []string{"bearer", "BEARER"} {
		if res := env.Do(t, http.MethodGet, "/v1/programmes", "", "", "Authorization", scheme+" "+token); res.Status != http.StatusOK {
			t.Errorf("%s <valid token>: %d %s", scheme, res.Status, res.Body)
		}
	}
}
