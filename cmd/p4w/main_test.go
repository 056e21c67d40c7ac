package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/p4w-nhs/p4w/internal/pgtest"
	"github.com/p4w-nhs/p4w/internal/postgres"
)

// syncBuffer is an io.Writer that the server's goroutines and the test may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func getenv(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// result is what one run of Main left behind.
type result struct {
	code           int
	stdout, stderr string
}

// withDataDir gives the command a data folder of the test's own: commands that build the
// services create a development signing key there when none is configured.
func withDataDir(t *testing.T, vars map[string]string) map[string]string {
	t.Helper()
	v := map[string]string{"P4W_DATA_DIR": t.TempDir()}
	for k, val := range vars {
		v[k] = val
	}
	return v
}

// run runs one command to completion in-process.
func run(t *testing.T, vars map[string]string, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := Main(ctx, args, Env{Getenv: getenv(withDataDir(t, vars)), Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr})
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// mustRun runs a command that must succeed.
func mustRun(t *testing.T, vars map[string]string, stdin string, args ...string) result {
	t.Helper()
	r := run(t, vars, stdin, args...)
	if r.code != 0 {
		t.Fatalf("p4w %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// server is `p4w serve` running in-process.
type server struct {
	addr   string
	base   string
	cancel context.CancelFunc
	done   chan int
	stderr *syncBuffer
	client *http.Client
}

// startServe runs `p4w serve` on a free port of the loopback interface and waits until it
// accepts requests. It is stopped when t ends, if the test has not stopped it.
func startServe(t *testing.T, vars map[string]string) *server {
	t.Helper()
	v := withDataDir(t, vars)
	v["P4W_HTTP_ADDR"] = "127.0.0.1:0"
	if _, ok := v["P4W_DRAIN_DELAY"]; !ok {
		v["P4W_DRAIN_DELAY"] = "0s" // tests that stop serve wait for no load balancer
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{cancel: cancel, done: make(chan int, 1), stderr: &syncBuffer{},
		client: &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}}
	ready := make(chan string, 1)
	go func() {
		s.done <- Main(ctx, []string{"serve"}, Env{Getenv: getenv(v), Stdin: strings.NewReader(""),
			Stdout: io.Discard, Stderr: s.stderr, Ready: func(addr string) { ready <- addr }})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			t.Errorf("serve did not stop within 30 s of its context ending")
		}
		s.client.CloseIdleConnections()
	})
	select {
	case s.addr = <-ready:
	case code := <-s.done:
		s.done <- code
		t.Fatalf("serve exited %d before it was ready: %s", code, s.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("serve not ready after 60 s: %s", s.stderr)
	}
	s.base = "http://" + s.addr
	return s
}

// stop ends serve's context and returns its exit code.
func (s *server) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code // for the cleanup
		return code
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop within 30 s: %s", s.stderr)
		return -1
	}
}

func (s *server) get(t *testing.T, path, token string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, body
}

// signIn uses the password grant and returns the access token, or "" with the status when refused.
func (s *server) signIn(t *testing.T, email, password string) (string, int) {
	t.Helper()
	form := url.Values{"grant_type": {"password"}, "username": {email}, "password": {password}}
	res, err := s.client.PostForm(s.base+"/v1/auth/token", form)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if res.StatusCode != http.StatusOK {
		return "", res.StatusCode
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("sign in: no access token (%v)", err)
	}
	return tok.AccessToken, res.StatusCode
}

func mustSignIn(t *testing.T, s *server, email, password string) string {
	t.Helper()
	tok, status := s.signIn(t, email, password)
	if tok == "" {
		t.Fatalf("sign in as %s: %d", email, status)
	}
	return tok
}

func openDB(t *testing.T, dbURL string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func count(t *testing.T, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// migrationFiles lists the embedded migrations.
func migrationFiles(t *testing.T) []string {
	t.Helper()
	files, err := fs.Glob(postgres.Migrations(), "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations embedded (%v)", err)
	}
	return files
}

// statusLines maps each migration file to its line of `migrate status`.
func statusLines(t *testing.T, out string) map[string]string {
	t.Helper()
	lines := map[string]string{}
	for _, f := range migrationFiles(t) {
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, f) {
				lines[f] = l
			}
		}
		if lines[f] == "" {
			t.Errorf("migrate status does not list %s:\n%s", f, out)
		}
	}
	return lines
}

func TestMainBadConfiguration(t *testing.T) {
	t.Parallel()
	// Never reached: configuration is checked before anything connects.
	const unreachable = "postgres://nobody@127.0.0.1:1/none?sslmode=disable"
	cases := []struct {
		name     string
		vars     map[string]string
		variable string
	}{
		{"max conns not a number", map[string]string{"DATABASE_URL": unreachable, "P4W_DB_MAX_CONNS": "abc"}, "P4W_DB_MAX_CONNS"},
		{"max conns zero", map[string]string{"DATABASE_URL": unreachable, "P4W_DB_MAX_CONNS": "0"}, "P4W_DB_MAX_CONNS"},
		{"max conns negative", map[string]string{"DATABASE_URL": unreachable, "P4W_DB_MAX_CONNS": "-3"}, "P4W_DB_MAX_CONNS"},
		{"no database url", map[string]string{}, "DATABASE_URL"},
		{"empty database url", map[string]string{"DATABASE_URL": ""}, "DATABASE_URL"},
		{"shutdown timeout", map[string]string{"DATABASE_URL": unreachable, "P4W_SHUTDOWN_TIMEOUT": "forever"}, "P4W_SHUTDOWN_TIMEOUT"},
		{"migrate on start", map[string]string{"DATABASE_URL": unreachable, "P4W_MIGRATE_ON_START": "perhaps"}, "P4W_MIGRATE_ON_START"},
		{"log level", map[string]string{"DATABASE_URL": unreachable, "P4W_LOG_LEVEL": "loud"}, "P4W_LOG_LEVEL"},
		{"body limit", map[string]string{"DATABASE_URL": unreachable, "P4W_BODY_LIMIT_BYTES": "1MB"}, "P4W_BODY_LIMIT_BYTES"},
		{"idempotency ttl", map[string]string{"DATABASE_URL": unreachable, "P4W_IDEMPOTENCY_TTL": "-1h"}, "P4W_IDEMPOTENCY_TTL"},
		{"blank issuer", map[string]string{"DATABASE_URL": unreachable, "P4W_JWT_ISSUER": "  "}, "P4W_JWT_ISSUER"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, args := range [][]string{{"serve"}, {"migrate", "up"}, {"admin", "bootstrap", "--email", "a@example.org"}} {
				r := run(t, tc.vars, "", args...)
				if r.code != 2 {
					t.Errorf("p4w %s: exit %d, want 2\nstderr: %s", strings.Join(args, " "), r.code, r.stderr)
				}
				if !strings.Contains(r.stderr, tc.variable) {
					t.Errorf("p4w %s: the message does not name %s: %q", strings.Join(args, " "), tc.variable, r.stderr)
				}
			}
		})
	}
}

func TestMainUsage(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none?sslmode=disable"}
	for _, args := range [][]string{nil, {"frobnicate"}, {"migrate"}, {"migrate", "down"}, {"seed"}, {"seed", "production"}, {"admin"}, {"serve", "now"}} {
		r := run(t, vars, "", args...)
		if r.code != 2 {
			t.Errorf("p4w %q: exit %d, want 2", args, r.code)
		}
		if !strings.Contains(r.stderr, "usage:") {
			t.Errorf("p4w %q: no usage on stderr: %q", args, r.stderr)
		}
	}
}

func TestServe(t *testing.T) {
	t.Parallel()
	s := startServe(t, map[string]string{"DATABASE_URL": pgtest.NewURL(t)})
	for _, path := range []string{"/healthz", "/readyz"} {
		status, body := s.get(t, path, "")
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, status, body)
		}
		var h struct{ Status string }
		if err := json.Unmarshal(body, &h); err != nil || h.Status != "ok" {
			t.Errorf("GET %s: %s", path, body)
		}
	}
	if status, _ := s.get(t, "/v1/programmes", ""); status != http.StatusUnauthorized {
		t.Errorf("GET /v1/programmes without a token: %d", status)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exited %d: %s", code, s.stderr)
	}
	if c, err := net.DialTimeout("tcp", s.addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after serve returned", s.addr)
	}
	// The log is JSON, one object a line, and tells of the start and the stop.
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(s.stderr.String()), "\n") {
		var rec struct{ Msg string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line is not JSON: %q", line)
			continue
		}
		msgs = append(msgs, rec.Msg)
	}
	for _, want := range []string{"serving", "shutting down", "stopped"} {
		if !strings.Contains(strings.Join(msgs, "|"), want) {
			t.Errorf("no %q in the log: %v", want, msgs)
		}
	}
}

// TestServeGracefulShutdown holds a request in flight across the cancellation: the client
// sends its headers with Expect: 100-continue and, once the handler asks for the body (the
// server's 100 Continue), the context is cancelled. serve must stop accepting connections but
// wait for that request, which then completes with 200.
//
// A burst of requests fired at the moment of cancellation is deliberately not asserted on:
// connections the kernel completed but serve had not yet accepted are reset when the listener
// closes ("read: connection reset by peer" after a successful dial), which no server can avoid.
func TestServeGracefulShutdown(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t)
	const email, password = "shutdown@example.org", "a long enough password"
	mustRun(t, map[string]string{"DATABASE_URL": dbURL, "P4W_ADMIN_PASSWORD": password}, "", "admin", "bootstrap", "--email", email)
	s := startServe(t, map[string]string{"DATABASE_URL": dbURL})

	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(60 * time.Second)); err != nil {
		t.Fatal(err)
	}
	body := url.Values{"grant_type": {"password"}, "username": {email}, "password": {password}}.Encode()
	fmt.Fprintf(conn, "POST /v1/auth/token HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", s.addr, len(body))
	br := bufio.NewReader(conn)
	interim, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read the interim response: %v", err)
	}
	if interim.StatusCode != http.StatusContinue {
		t.Fatalf("want 100 Continue, got %d", interim.StatusCode)
	}

	// The request is in a handler, waiting for its body. Shut down.
	s.cancel()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.addr, time.Second)
		if err != nil {
			break // the listener is closed
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("serve still accepts connections 30 s after its context ended")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case code := <-s.done:
		t.Fatalf("serve returned (%d) with a request in flight: %s", code, s.stderr)
	default:
	}

	if _, err := io.WriteString(conn, body); err != nil {
		t.Fatalf("send the body: %v", err)
	}
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || res.StatusCode != http.StatusOK || tok.AccessToken == "" {
		t.Fatalf("the request in flight: %d, token %t (%v)", res.StatusCode, tok.AccessToken != "", err)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exited %d: %s", code, s.stderr)
	}
}

// On SIGTERM serve drains: readiness answers 503 at once, requests are still answered for
// the drain delay, each on a connection closed after its answer, and then serve stops.
func TestServeDrains(t *testing.T) {
	t.Parallel()
	s := startServe(t, map[string]string{"DATABASE_URL": pgtest.NewURL(t), "P4W_DRAIN_DELAY": "2s"})
	if status, body := s.get(t, "/readyz", ""); status != http.StatusOK {
		t.Fatalf("readyz before shutdown: %d %s", status, body)
	}
	s.cancel()
	deadline := time.Now().Add(time.Second)
	for {
		res, err := s.client.Get(s.base + "/readyz")
		if err != nil {
			t.Fatalf("readyz while draining: %v", err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusServiceUnavailable {
			if res.Header.Get("Retry-After") == "" {
				t.Error("a draining readyz answers 503 without Retry-After")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz still answers %d a second into the drain", res.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The draining server still answers, and closes each connection after its answer, so no
	// keep-alive connection is left for the listener's close to reset.
	res, err := s.client.Get(s.base + "/healthz")
	if err != nil {
		t.Fatalf("healthz while draining: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !res.Close {
		t.Errorf("healthz while draining: %d, connection closed after it: %v; want 200 and closed", res.StatusCode, res.Close)
	}
	select {
	case code := <-s.done:
		s.done <- code
		if code != 0 {
			t.Errorf("serve exited %d after draining: %s", code, s.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop after its drain: %s", s.stderr)
	}
	if !strings.Contains(s.stderr.String(), `"msg":"draining"`) {
		t.Errorf("serve logged no drain: %s", s.stderr)
	}
}

func TestServeFails(t *testing.T) {
	t.Parallel()
	t.Run("address in use", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		r := run(t, map[string]string{"DATABASE_URL": pgtest.NewURL(t), "P4W_HTTP_ADDR": ln.Addr().String()}, "", "serve")
		if r.code != 1 || !strings.Contains(r.stderr, "listen") {
			t.Errorf("exit %d, want 1 naming the listen failure: %s", r.code, r.stderr)
		}
	})
	t.Run("no such database", func(t *testing.T) {
		t.Parallel()
		u, err := url.Parse(pgtest.AdminURL(t))
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/p4w_no_such_database"
		for _, args := range [][]string{{"serve"}, {"migrate", "up"}, {"migrate", "status"}, {"seed", "demo"}} {
			r := run(t, map[string]string{"DATABASE_URL": u.String(), "P4W_HTTP_ADDR": "127.0.0.1:0"}, "", args...)
			if r.code != 1 {
				t.Errorf("p4w %s: exit %d, want 1: %s", strings.Join(args, " "), r.code, r.stderr)
			}
		}
	})
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.EmptyURL(t)
	vars := map[string]string{"DATABASE_URL": dbURL}
	files := migrationFiles(t)

	for f, l := range statusLines(t, mustRun(t, vars, "", "migrate", "status").stdout) {
		if !strings.Contains(l, "pending") {
			t.Errorf("on an empty database %s is not pending: %q", f, l)
		}
	}

	r := mustRun(t, vars, "", "migrate", "up")
	if n := strings.Count(r.stderr, `"msg":"migration applied"`); n != len(files) {
		t.Errorf("migrate up logged %d migrations applied, want %d:\n%s", n, len(files), r.stderr)
	}
	db := openDB(t, dbURL)
	if n := count(t, db, `SELECT count(*) FROM programmes`); n != 7 {
		t.Errorf("%d programmes after migrate up, want 7", n)
	}

	for f, l := range statusLines(t, mustRun(t, vars, "", "migrate", "status").stdout) {
		if !strings.Contains(l, "applied") || strings.Contains(l, "pending") {
			t.Errorf("after migrate up %s is not applied: %q", f, l)
		}
	}

	r = mustRun(t, vars, "", "migrate", "up")
	if strings.Contains(r.stderr, `"msg":"migration applied"`) {
		t.Errorf("a second migrate up applied something:\n%s", r.stderr)
	}
	if n := count(t, db, `SELECT count(*) FROM programmes`); n != 7 {
		t.Errorf("%d programmes after a second migrate up, want 7", n)
	}
}

// TestMigrateConcurrently: replicas starting together take turns on the migration lock.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.EmptyURL(t)
	vars := withDataDir(t, map[string]string{"DATABASE_URL": dbURL})
	const n = 3
	results := make(chan result, n)
	for range n {
		go func() {
			var stdout, stderr syncBuffer
			code := Main(context.Background(), []string{"migrate", "up"}, Env{Getenv: getenv(vars), Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr})
			results <- result{code: code, stderr: stderr.String()}
		}()
	}
	applied := 0
	for range n {
		r := <-results
		if r.code != 0 {
			t.Errorf("a concurrent migrate up exited %d: %s", r.code, r.stderr)
		}
		applied += strings.Count(r.stderr, `"msg":"migration applied"`)
	}
	if want := len(migrationFiles(t)); applied != want {
		t.Errorf("%d migrations applied between them, want each once (%d)", applied, want)
	}
	if got := count(t, openDB(t, dbURL), `SELECT count(*) FROM programmes`); got != 7 {
		t.Errorf("%d programmes, want 7", got)
	}
}

var seedSummary = regexp.MustCompile(`demo data: (\d+) organisations and (\d+) participants created this run`)

func TestSeedDemo(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t)
	vars := map[string]string{"DATABASE_URL": dbURL, "P4W_DATA_DIR": t.TempDir()}

	first := mustRun(t, vars, "", "seed", "demo")
	m := seedSummary.FindStringSubmatch(first.stdout)
	if m == nil {
		t.Fatalf("no summary in:\n%s", first.stdout)
	}
	if orgs, _ := strconv.Atoi(m[1]); orgs == 0 {
		t.Errorf("the first run created no organisations:\n%s", first.stdout)
	}
	if m[2] != "200" {
		t.Errorf("the first run created %s participants, want 200", m[2])
	}

	second := mustRun(t, vars, "", "seed", "demo")
	if m := seedSummary.FindStringSubmatch(second.stdout); m == nil || m[1] != "0" || m[2] != "0" {
		t.Errorf("the second run created something:\n%s", second.stdout)
	}

	db := openDB(t, dbURL)
	if n := count(t, db, `SELECT count(*) FROM participants`); n != 200 {
		t.Errorf("%d participants, want 200", n)
	}

	emails := regexp.MustCompile(`(?m)^\s+(\S+@\S+)\s+\S+$`).FindAllStringSubmatch(second.stdout, -1)
	if len(emails) != 5 {
		t.Fatalf("want the 5 demo users listed, got %d:\n%s", len(emails), second.stdout)
	}
	if n := count(t, db, `SELECT count(*) FROM users`); n != len(emails) {
		t.Errorf("%d users after two runs, want %d", n, len(emails))
	}
	if !strings.Contains(second.stdout, demoPassword) {
		t.Errorf("the demo password is not shown:\n%s", second.stdout)
	}

	s := startServe(t, vars)
	for _, e := range emails {
		token := mustSignIn(t, s, e[1], demoPassword)
		if status, body := s.get(t, "/v1/programmes", token); status != http.StatusOK {
			t.Errorf("%s lists programmes: %d %s", e[1], status, body)
		}
	}
	coordinator := mustSignIn(t, s, "coordinator@northgate.example.org", demoPassword)
	status, body := s.get(t, "/v1/participants?limit=5", coordinator)
	if status != http.StatusOK {
		t.Fatalf("the demo coordinator lists participants: %d %s", status, body)
	}
	var page struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &page); err != nil || len(page.Data) == 0 {
		t.Errorf("the demo coordinator sees no participants: %s", body)
	}
	if _, status := s.signIn(t, "coordinator@northgate.example.org", "not the password"); status == http.StatusOK {
		t.Errorf("a wrong password signed in")
	}
}

func TestBootstrap(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t)
	vars := map[string]string{"DATABASE_URL": dbURL}
	db := openDB(t, dbURL)
	users := func(email string) int {
		return count(t, db, `SELECT count(*) FROM users WHERE lower(email) = lower($1)`, email)
	}
	const password = "correct horse battery staple"

	r := mustRun(t, vars, password+"\n", "admin", "bootstrap", "--email", "a@example.org")
	if !strings.Contains(r.stdout, "created national_admin a@example.org") {
		t.Errorf("stdout: %q", r.stdout)
	}
	if strings.Contains(r.stdout+r.stderr, password) {
		t.Errorf("the password is echoed")
	}
	if n := count(t, db, `SELECT count(*) FROM users WHERE email = 'a@example.org' AND role = 'national_admin' AND enabled`); n != 1 {
		t.Fatalf("%d enabled national_admins a@example.org", n)
	}

	t.Run("again is harmless", func(t *testing.T) {
		for _, email := range []string{"a@example.org", "A@Example.ORG"} {
			r := mustRun(t, vars, "another password entirely\n", "admin", "bootstrap", "--email", email)
			if !strings.Contains(r.stdout, "already exists") {
				t.Errorf("bootstrap again as %s: stdout %q", email, r.stdout)
			}
		}
		if n := users("a@example.org"); n != 1 {
			t.Errorf("%d users a@example.org", n)
		}
		if n := count(t, db, `SELECT count(*) FROM organisations WHERE kind = 'national'`); n != 1 {
			t.Errorf("%d national organisations", n)
		}
	})

	t.Run("short password", func(t *testing.T) {
		r := run(t, vars, "elevenchars\n", "admin", "bootstrap", "--email", "short@example.org")
		if r.code != 1 {
			t.Errorf("exit %d, want 1: %s", r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "password") {
			t.Errorf("the failure does not name the password: %s", r.stderr)
		}
		if strings.Contains(r.stderr, "elevenchars") {
			t.Errorf("the refused password is logged")
		}
		if n := users("short@example.org"); n != 0 {
			t.Errorf("a user with a short password was created")
		}
	})

	t.Run("no password", func(t *testing.T) {
		r := run(t, vars, "", "admin", "bootstrap", "--email", "nopassword@example.org")
		if r.code == 0 || users("nopassword@example.org") != 0 {
			t.Errorf("exit %d with an empty standard input", r.code)
		}
	})

	t.Run("bad arguments", func(t *testing.T) {
		for _, args := range [][]string{
			{"admin", "bootstrap"},
			{"admin", "bootstrap", "--email", ""},
			{"admin", "bootstrap", "--email"},
			{"admin", "bootstrap", "--bogus", "x"},
			{"admin", "bootstrap", "--email", "not-an-email"},
		} {
			r := run(t, vars, password+"\n", args...)
			if r.code == 0 {
				t.Errorf("p4w %q: exit 0", args)
			}
		}
		if r := run(t, vars, password+"\n", "admin", "bootstrap"); !strings.Contains(r.stderr, "--email") {
			t.Errorf("a missing --email is not named: %s", r.stderr)
		}
	})

	t.Run("password from the environment", func(t *testing.T) {
		v := map[string]string{"DATABASE_URL": dbURL, "P4W_ADMIN_PASSWORD": "from the environment"}
		r := mustRun(t, v, "ignored standard input\n", "admin", "bootstrap", "--email", "c@example.org")
		if !strings.Contains(r.stdout, "created national_admin c@example.org") {
			t.Errorf("stdout: %q", r.stdout)
		}
	})

	t.Run("carriage return and no final newline", func(t *testing.T) {
		mustRun(t, vars, "windows line ending\r\n", "admin", "bootstrap", "--email", "crlf@example.org")
		mustRun(t, vars, "no newline at the end", "admin", "bootstrap", "--email", "eof@example.org")
	})

	s := startServe(t, vars)
	token := mustSignIn(t, s, "a@example.org", password)
	status, body := s.get(t, "/v1/organisations", token)
	if status != http.StatusOK {
		t.Fatalf("the national_admin lists organisations: %d %s", status, body)
	}
	var page struct {
		Data []struct {
			Kind string `json:"kind"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	national := 0
	for _, o := range page.Data {
		if o.Kind == "national" {
			national++
		}
	}
	if national != 1 {
		t.Errorf("%d national organisations listed: %s", national, body)
	}
	mustSignIn(t, s, "c@example.org", "from the environment")
	if tok, _ := s.signIn(t, "c@example.org", "ignored standard input"); tok != "" {
		t.Errorf("standard input was used although P4W_ADMIN_PASSWORD was set")
	}
	mustSignIn(t, s, "crlf@example.org", "windows line ending")
	mustSignIn(t, s, "eof@example.org", "no newline at the end")
	if tok, _ := s.signIn(t, "a@example.org", "another password entirely"); tok != "" {
		t.Errorf("a second bootstrap changed the password")
	}
}

// Help needs no settings at all: p4w help, --help and -h after any command print what each
// command does and every setting with its default, on stdout, and exit 0, logging nothing.
func TestMainHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"serve", "--help"}, {"admin", "bootstrap", "--help"}, {"migrate", "up", "-h"}} {
		var stdout, stderr syncBuffer
		code := Main(context.Background(), args, Env{Getenv: func(string) string { return "" }, Stdout: &stdout, Stderr: &stderr})
		if code != 0 || stderr.String() != "" {
			t.Errorf("p4w %s: exit %d, stderr %q; want 0 and nothing", strings.Join(args, " "), code, stderr.String())
		}
		for _, want := range []string{"p4w serve", "p4w admin bootstrap --email ADDRESS", "DATABASE_URL", "P4W_ADMIN_PASSWORD"} {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("p4w %s: the help does not say %q:\n%s", strings.Join(args, " "), want, stdout.String())
			}
		}
		// A setting and its default, in the table's columns (whose width the longest name sets).
		if !regexp.MustCompile(`(?m)^\s*P4W_DB_STATEMENT_TIMEOUT +5s `).MatchString(stdout.String()) {
			t.Errorf("p4w %s: the help does not give P4W_DB_STATEMENT_TIMEOUT's default 5s:\n%s", strings.Join(args, " "), stdout.String())
		}
	}
	// A mistyped command is told as such even with nothing configured, not as a missing setting.
	var stderr syncBuffer
	if code := Main(context.Background(), []string{"serv"}, Env{Getenv: func(string) string { return "" }, Stdout: io.Discard, Stderr: &stderr}); code != 2 ||
		!strings.Contains(stderr.String(), "usage:") || strings.Contains(stderr.String(), "DATABASE_URL") {
		t.Errorf("p4w serv: exit %d, %q; want 2 and the usage", code, stderr.String())
	}
}
