// Package apitest runs the whole p4w application against a fresh PostgreSQL database for one
// test, and checks every response the test receives against openapi.yaml.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/app"
	"github.com/p4w-nhs/p4w/internal/config"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/jobs"
	"github.com/p4w-nhs/p4w/internal/pgtest"
	"github.com/p4w-nhs/p4w/internal/postgres"
	"github.com/p4w-nhs/p4w/internal/service"
	"github.com/p4w-nhs/p4w/pkg/client"
)

// Password is every test user's password.
const Password = "correct horse battery staple"

// Env is one running p4w with its own database.
type Env struct {
	URL      string
	DB       *postgres.DB
	DBURL    string
	Config   config.Config
	Services app.Services
	HTTP     *http.Client  // validates every response against openapi.yaml
	Routes   []*echo.Route // every route the server registers
}

// Config is the configuration tests run with.
func Config(tb testing.TB, dbURL string) config.Config {
	tb.Helper()
	cfg, err := config.Load(func(name string) string {
		switch name {
		case "DATABASE_URL":
			return dbURL
		case "P4W_DATA_DIR":
			return tb.TempDir()
		case "P4W_BODY_LIMIT_BYTES":
			return "65536"
		case "P4W_TOKEN_RATE_PER_MINUTE":
			return "60000" // tests sign many users in from one address; the rate test sets its own
		case "P4W_DB_MAX_CONNS":
			return "10"
		case "P4W_DB_ACQUIRE_TIMEOUT", "P4W_DB_STATEMENT_TIMEOUT", "P4W_REQUEST_TIMEOUT":
			return "60s" // bounds as in production, loose enough for -race on a busy machine
		}
		return ""
	})
	if err != nil {
		tb.Fatalf("test configuration: %v", err)
	}
	return cfg
}

// New starts p4w on a fresh database, stopped when tb ends.
func New(tb testing.TB) *Env {
	tb.Helper()
	dbURL := pgtest.NewURL(tb)
	var logTo io.Writer = io.Discard
	if os.Getenv("P4W_TEST_LOG") != "" { // P4W_TEST_LOG=1 go test ... shows the server's log
		logTo = os.Stderr
	}
	return NewOn(tb, Config(tb, dbURL), logTo)
}

// NewOn starts p4w with cfg on the database cfg names, logging JSON to logTo, stopped when
// tb ends: for tests that set their own bounds or own the database.
func NewOn(tb testing.TB, cfg config.Config, logTo io.Writer) *Env {
	tb.Helper()
	log := slog.New(slog.NewJSONHandler(logTo, nil))
	opts := app.PoolOptions(cfg, log)
	opts.Tracer = pgtest.Tracer{}
	db, err := postgres.Open(context.Background(), cfg.DatabaseURL, opts)
	if err != nil {
		tb.Fatalf("open database: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	s, err := app.NewServices(cfg, db)
	if err != nil {
		tb.Fatalf("build services: %v", err)
	}
	handler, err := app.Handler(cfg, db, s, log, nil)
	if err != nil {
		tb.Fatalf("build handler: %v", err)
	}
	e, ok := handler.(*echo.Echo)
	if !ok {
		tb.Fatalf("the handler is a %T, not an *echo.Echo", handler)
	}
	srv := httptest.NewServer(handler)
	tb.Cleanup(srv.Close)
	return &Env{URL: srv.URL, DB: db, DBURL: cfg.DatabaseURL, Config: cfg, Services: s, Routes: e.Routes(),
		HTTP: &http.Client{Transport: &contractChecker{tb: tb, next: http.DefaultTransport, router: router(tb)}, Timeout: 30 * time.Second}}
}

// StartJobs starts a background job runner on the test's database, as `p4w serve` does, for
// tests of work done in the background (imports). It stops when tb ends, before the pool
// closes (cleanups run last registered first). Other tests run none, so that no background
// statement disturbs what they count.
func (e *Env) StartJobs(tb testing.TB) {
	tb.Helper()
	runner, err := jobs.New(e.DB, jobs.Config{Workers: 2, IdempotencyTTL: e.Config.IdempotencyTTL, Imports: e.Services.Imports})
	if err != nil {
		tb.Fatalf("build job runner: %v", err)
	}
	if err := runner.Start(context.Background()); err != nil {
		tb.Fatalf("start job runner: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Stop(ctx)
	})
}

// System returns a context acting as p4w itself, for setting up test data.
func System() context.Context {
	return domain.WithPrincipal(context.Background(), service.System())
}

// Organisation creates an organisation of kind in region north_west.
func (e *Env) Organisation(tb testing.TB, kind domain.OrganisationKind, name string) domain.Organisation {
	tb.Helper()
	region := "north_west"
	o, err := e.Services.Organisations.Create(System(), domain.Organisation{Kind: kind, Name: name, Region: &region}, []string{"kind", "name", "region"})
	if err != nil {
		tb.Fatalf("create organisation: %v", err)
	}
	return o
}

// User creates a user of org with role and signs it in through the token endpoint,
// returning its access token.
func (e *Env) User(tb testing.TB, org uuid.UUID, role domain.Role) string {
	tb.Helper()
	_, email := e.MustCreateUser(tb, org, role)
	return e.SignIn(tb, email, Password)
}

// APIClient registers an API client of org with scopes through the API, as the org_admin (or
// national_admin) adminToken, and returns its id, client id and the secret shown once.
func (e *Env) APIClient(tb testing.TB, adminToken string, org uuid.UUID, scopes ...string) (id, clientID, secret string) {
	tb.Helper()
	body, err := json.Marshal(map[string]any{"name": "Trust HR " + uuid.NewString()[:4], "organisation_id": org, "scopes": scopes})
	if err != nil {
		tb.Fatal(err)
	}
	res := e.Do(tb, http.MethodPost, "/v1/api-clients", adminToken, string(body))
	if res.Status != http.StatusCreated {
		tb.Fatalf("create API client: %d %s", res.Status, res.Body)
	}
	var c struct {
		ID           string `json:"id"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	res.Decode(tb, &c)
	if c.ID == "" || c.ClientID == "" || c.ClientSecret == "" {
		tb.Fatalf("API client without id or secret: %s", res.Body)
	}
	return c.ID, c.ClientID, c.ClientSecret
}

// SignIn signs in with the password grant and returns the access token.
func (e *Env) SignIn(tb testing.TB, email, password string) string {
	tb.Helper()
	res := e.PostToken(tb, PasswordGrant(email, password))
	if res.Status != http.StatusOK {
		tb.Fatalf("sign in: %d %s", res.Status, res.Body)
	}
	var tok api.TokenResponse
	res.Decode(tb, &tok)
	return tok.AccessToken
}

// Client returns the generated Go client calling as token.
func (e *Env) Client(tb testing.TB, token string) *client.ClientWithResponses {
	tb.Helper()
	c, err := client.NewClientWithResponses(e.URL, client.WithHTTPClient(e.HTTP),
		client.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			if token != "" {
				r.Header.Set("Authorization", "Bearer "+token)
			}
			return nil
		}))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Response is a response read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Decode decodes the JSON body into v.
func (r Response) Decode(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Problem is an RFC 9457 problem as the API sends it.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id"`
	Errors    []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// Problem decodes a problem+json body, failing the test when it is not one.
func (r Response) Problem(tb testing.TB) Problem {
	tb.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		tb.Fatalf("want application/problem+json, got %q: %s", ct, r.Body)
	}
	var p Problem
	r.Decode(tb, &p)
	if p.Status != r.Status || p.Type == "" || p.Title == "" || p.RequestID == "" {
		tb.Fatalf("incomplete problem: %s", r.Body)
	}
	return p
}

// Fields lists the fields a problem names.
func (p Problem) Fields() []string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

// Message is the message the problem gives for field; "" when it names no such field.
func (p Problem) Message(field string) string {
	for _, e := range p.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// NewRequest builds a request to url with an optional bearer token and raw body (sent as
// JSON unless headers say otherwise); headers come in name, value pairs.
func NewRequest(tb testing.TB, method, url, token, body string, headers ...string) *http.Request {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

// Do sends a request with an optional bearer token and raw body; headers come in name, value pairs.
func (e *Env) Do(tb testing.TB, method, path, token, body string, headers ...string) Response {
	tb.Helper()
	res, err := e.HTTP.Do(NewRequest(tb, method, e.URL+path, token, body, headers...))
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// The checker reads an HTML answer (a report's printable page) as the contract's string.
func init() { openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.FileBodyDecoder) }

// router matches requests to the operations of openapi.yaml as written (api.Spec), which
// declares what the generators are not shown (api/server.overlay.yaml).
func router(tb testing.TB) routers.Router {
	tb.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.Spec)
	if err != nil {
		tb.Fatal(err)
	}
	doc.Servers = nil
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// contractChecker fails the test when a response of an operation in openapi.yaml does not
// match it: an undeclared status, a missing header, a body of the wrong shape.
type contractChecker struct {
	tb     testing.TB
	next   http.RoundTripper
	router routers.Router
}

func (c *contractChecker) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := c.next.RoundTrip(req)
	if err != nil {
		return res, err
	}
	route, params, ferr := c.router.FindRoute(req)
	if ferr != nil {
		return res, nil // not an operation of the contract (metrics, docs) or a 404/405 path
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(req.Context(), input); err != nil {
		c.tb.Errorf("%s %s answered %d, which breaks openapi.yaml: %v\nbody: %s", req.Method, req.URL.Path, res.StatusCode, err, body)
	}
	for _, name := range UndeclaredHeaders(route.Operation, res.StatusCode, res.Header) {
		c.tb.Errorf("%s %s answered %d with the header %s, which openapi.yaml does not declare on that answer (%s)",
			req.Method, req.URL.Path, res.StatusCode, name, route.Operation.OperationID)
	}
	return res, nil
}

// DeclaredHeaders are the response headers of p4w's own that a client reads, and so that
// openapi.yaml must declare on every answer that carries them: a generated client exposes only
// declared headers, and a front end reads only those CORS exposes.
var DeclaredHeaders = []string{"ETag", "Location", "Idempotent-Replayed", "Retry-After", "X-Request-ID"}

// UndeclaredHeaders lists the DeclaredHeaders that header carries and op does not declare on
// its answer of status (or its default answer). An undeclared status is not its concern:
// response validation reports that.
func UndeclaredHeaders(op *openapi3.Operation, status int, header http.Header) []string {
	answer := op.Responses.Status(status)
	if answer == nil {
		answer = op.Responses.Default()
	}
	if answer == nil || answer.Value == nil {
		return nil
	}
	var out []string
	for _, name := range DeclaredHeaders {
		if header.Get(name) == "" {
			continue
		}
		declared := false
		for key := range answer.Value.Headers {
			declared = declared || strings.EqualFold(key, name)
		}
		if !declared {
			out = append(out, name)
		}
	}
	return out
}
