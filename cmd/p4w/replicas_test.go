package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/pgtest"
)

// TestReplicas runs three `p4w serve` processes of the built binary on one database, behind a
// round-robin reverse proxy, and shows that what a user depends on holds across them: an
// Idempotency-Key, the per-account sign-in throttle, the revocation of an API client (within
// the principal cache's 5 seconds, on every replica) and background work done once.
func TestReplicas(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dbURL := pgtest.EmptyURL(t)
	owner := openDB(t, dbURL)
	dir := t.TempDir()
	keyFile := writeSigningKey(t, dir)
	const adminEmail, adminPassword = "national.admin@example.org", "replicas admin password"
	base := map[string]string{
		"DATABASE_URL": dbURL, "P4W_JWT_SIGNING_KEY_FILE": keyFile, "P4W_DRAIN_DELAY": "0s", "P4W_HTTP_ADDR": "127.0.0.1:0",
		"P4W_DB_MAX_CONNS": "6", "P4W_TRUST_PROXY_HEADERS": "true", "P4W_TOKEN_RATE_PER_MINUTE": "600",
	}
	runBinary(t, bin, base, "migrate", "up")
	runBinary(t, bin, with(base, "P4W_ADMIN_PASSWORD", adminPassword), "admin", "bootstrap", "--email", adminEmail)

	replicas := make([]*process, 3)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			replicas[i] = startBinary(t, bin, with(base, "P4W_DATA_DIR", filepath.Join(dir, strconv.Itoa(i))))
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	lb := newRoundRobin(t, replicas)

	admin := lb.token(t, url.Values{"grant_type": {"password"}, "username": {adminEmail}, "password": {adminPassword}})

	var trustID string
	t.Run("an Idempotency-Key holds across replicas", func(t *testing.T) {
		body := `{"kind": "trust", "name": "Replica Sequential Trust", "region": "north_west"}`
		var first reply
		for i := range 4 { // one after another: each to the next replica
			r := lb.do(t, http.MethodPost, "/v1/organisations", admin, body, "Idempotency-Key", "replicas-sequential")
			if r.status != http.StatusCreated {
				t.Fatalf("send %d: %d %s", i+1, r.status, r.body)
			}
			if i == 0 {
				first = r
				if r.header.Get("Idempotent-Replayed") != "" {
					t.Fatalf("the first send says it is replayed")
				}
				continue
			}
			if r.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(r.body, first.body) ||
				r.header.Get("Location") != first.header.Get("Location") {
				t.Errorf("send %d (replica %s, the first was %s): Idempotent-Replayed %q, body %s, want the first answer replayed: %s",
					i+1, r.replica, first.replica, r.header.Get("Idempotent-Replayed"), r.body, first.body)
			}
		}
		var org struct{ ID string }
		if err := json.Unmarshal(first.body, &org); err != nil || org.ID == "" {
			t.Fatalf("created organisation: %s", first.body)
		}
		trustID = org.ID

		// All at once: one creates, the others wait their turn (409, retry later) or replay it.
		body = `{"kind": "trust", "name": "Replica Concurrent Trust", "region": "north_west"}`
		const n = 6
		replies := make([]reply, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				replies[i] = lb.do(t, http.MethodPost, "/v1/organisations", admin, body, "Idempotency-Key", "replicas-concurrent")
			})
		}
		wg.Wait()
		created := 0
		for i, r := range replies {
			switch {
			case r.status == http.StatusCreated && r.header.Get("Idempotent-Replayed") == "":
				created++
			case r.status == http.StatusCreated || r.status == http.StatusConflict:
			default:
				t.Errorf("concurrent send %d: %d %s", i+1, r.status, r.body)
			}
		}
		if created != 1 {
			t.Errorf("%d of %d concurrent sends created, want 1", created, n)
		}
		for range 3 { // the retries after: each replica replays the one answer
			r := lb.do(t, http.MethodPost, "/v1/organisations", admin, body, "Idempotency-Key", "replicas-concurrent")
			if r.status != http.StatusCreated || r.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("a retry after the concurrent sends (replica %s): %d %q %s", r.replica, r.status, r.header.Get("Idempotent-Replayed"), r.body)
			}
		}
		for _, name := range []string{"Replica Sequential Trust", "Replica Concurrent Trust"} {
			if got := count(t, owner, `SELECT count(*) FROM organisations WHERE name = $1`, name); got != 1 {
				t.Errorf("%d organisations %q, want 1", got, name)
			}
		}
	})
	if trustID == "" {
		t.FailNow()
	}

	t.Run("failed sign-ins are counted together", func(t *testing.T) {
		const email, password = "coordinator@replicas.example.org", "a coordinator's password"
		r := lb.do(t, http.MethodPost, "/v1/users", admin,
			fmt.Sprintf(`{"email": %q, "password": %q, "role": "coordinator", "organisation_id": %q}`, email, password, trustID))
		if r.status != http.StatusCreated {
			t.Fatalf("create user: %d %s", r.status, r.body)
		}
		seen := map[string]bool{}
		for i := range 5 { // the single-server threshold, spread over the replicas
			r := lb.form(t, "/v1/auth/token", url.Values{"grant_type": {"password"}, "username": {email}, "password": {"wrong " + strconv.Itoa(i)}})
			if r.status != http.StatusBadRequest {
				t.Fatalf("failed sign-in %d (replica %s): %d %s, want 400 invalid_grant", i+1, r.replica, r.status, r.body)
			}
			seen[r.replica] = true
		}
		if len(seen) != len(replicas) {
			t.Fatalf("the failures reached %d replicas, want all %d", len(seen), len(replicas))
		}
		// Blocked on every replica, the right password included: none counted alone.
		for i, p := range replicas {
			r := p.form(t, "/v1/auth/token", url.Values{"grant_type": {"password"}, "username": {email}, "password": {password}})
			if r.status != http.StatusTooManyRequests {
				t.Errorf("replica %d after 5 failures spread over the replicas: %d, want 429 (it counted only its own)", i, r.status)
			} else if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s <= 0 {
				t.Errorf("replica %d: Retry-After %q, want a positive number of seconds", i, r.header.Get("Retry-After"))
			}
		}
	})

	t.Run("a revoked API client is refused by every replica within 5 s", func(t *testing.T) {
		r := lb.do(t, http.MethodPost, "/v1/api-clients", admin,
			fmt.Sprintf(`{"name": "Replicas HR", "organisation_id": %q, "scopes": ["participants:read"]}`, trustID))
		if r.status != http.StatusCreated {
			t.Fatalf("create API client: %d %s", r.status, r.body)
		}
		var c struct{ ID, ClientID, ClientSecret string }
		if err := json.Unmarshal(r.body, &struct {
			ID           *string `json:"id"`
			ClientID     *string `json:"client_id"`
			ClientSecret *string `json:"client_secret"`
		}{&c.ID, &c.ClientID, &c.ClientSecret}); err != nil || c.ClientSecret == "" {
			t.Fatalf("API client: %s", r.body)
		}
		token := lb.token(t, url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}})
		// Accepted by every replica, whichever issued it; each now holds its answer in cache.
		for i, p := range replicas {
			if r := p.do(t, http.MethodGet, "/v1/participants?limit=1", token, ""); r.status != http.StatusOK {
				t.Fatalf("replica %d before revocation: %d %s", i, r.status, r.body)
			}
		}
		if r := lb.do(t, http.MethodDelete, "/v1/api-clients/"+c.ID, admin, ""); r.status != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
		revoked := time.Now()
		const delay, margin = 5 * time.Second, time.Second // principalTTL in internal/service/tokens.go
		var wg sync.WaitGroup
		for i, p := range replicas {
			wg.Go(func() {
				for {
					r := p.do(t, http.MethodGet, "/v1/participants?limit=1", token, "")
					if r.status == http.StatusUnauthorized {
						t.Logf("replica %d refuses the revoked client after %s", i, time.Since(revoked).Round(10*time.Millisecond))
						return
					}
					if r.status != http.StatusOK {
						t.Errorf("replica %d: %d %s", i, r.status, r.body)
						return
					}
					if time.Since(revoked) > delay+margin {
						t.Errorf("replica %d still accepts the revoked client %s after revocation (the documented delay is %s)",
							i, time.Since(revoked).Round(10*time.Millisecond), delay)
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
			})
		}
		wg.Wait()
	})

	t.Run("housekeeping ran once across the replicas", func(t *testing.T) {
		deadline := time.Now().Add(15 * time.Second)
		for count(t, owner, `SELECT count(*) FROM river_job WHERE kind = 'housekeeping' AND state = 'completed'`) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("no housekeeping job completed 15 s after the replicas started")
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	// Stop them as an orchestrator would; each stops its jobs before its pool, and exits 0.
	for _, p := range replicas {
		p.signal(t, syscall.SIGTERM)
	}
	for i, p := range replicas {
		if code := p.wait(t, 30*time.Second); code != 0 {
			t.Errorf("replica %d exited %d:\n%s", i, code, p.log.String())
		} else if !strings.Contains(p.log.String(), `"msg":"jobs stopped"`) {
			t.Errorf("replica %d did not log that its jobs stopped:\n%s", i, p.log.String())
		}
	}
	// Three replicas, each run-on-start, and still one housekeeping job: the leader's.
	if n := count(t, owner, `SELECT count(*) FROM river_job WHERE kind = 'housekeeping'`); n != 1 {
		t.Errorf("%d housekeeping jobs across 3 replicas, want 1", n)
	}
}

// buildBinary builds p4w into a temporary folder, once for the test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "p4w")
	cmd := exec.Command("go", "build", "-o", bin, ".") // the go that runs the tests is on PATH
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// writeSigningKey writes a new Ed25519 signing key, PKCS#8 PEM, that every replica shares.
func writeSigningKey(t *testing.T, dir string) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "signing-key.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func with(vars map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range vars {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// environ is vars alone, so that nothing of the test's own environment reaches the binary.
func environ(vars map[string]string) []string {
	var env []string
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// runBinary runs one command of the binary to completion; it must succeed.
func runBinary(t *testing.T, bin string, vars map[string]string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = environ(with(vars, "P4W_DATA_DIR", t.TempDir()))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("p4w %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// process is one `p4w serve` of the binary.
type process struct {
	cmd    *exec.Cmd
	base   string
	log    syncBuffer
	exited chan struct{}
	code   int
	client *http.Client
}

// startBinary starts `p4w serve` and waits until it logs the address it serves on. It is
// killed when t ends, if it is still running.
func startBinary(t *testing.T, bin string, vars map[string]string) *process {
	t.Helper()
	p := &process{exited: make(chan struct{}), client: &http.Client{Timeout: 10 * time.Second}}
	p.cmd = exec.Command(bin, "serve")
	p.cmd.Env = environ(vars)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Error(err)
		return nil
	}
	if err := p.cmd.Start(); err != nil {
		t.Error(err)
		return nil
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			_, _ = p.log.Write(append(line, '\n'))
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "serving" {
				addr <- rec.Addr
			}
		}
		err := p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		if err != nil && p.code == 0 {
			p.code = -1
		}
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill() // the test stops it first; this only for a test that failed midway
		<-p.exited
		p.client.CloseIdleConnections()
	})
	select {
	case a := <-addr:
		p.base = "http://" + a
	case <-p.exited:
		t.Errorf("serve exited %d before it was ready:\n%s", p.code, p.log.String())
	case <-time.After(30 * time.Second):
		t.Errorf("serve not ready after 30 s:\n%s", p.log.String())
	}
	return p
}

func (p *process) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Errorf("signal: %v", err)
	}
}

func (p *process) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
		return p.code
	case <-time.After(limit):
		t.Errorf("serve did not exit within %s:\n%s", limit, p.log.String())
		return -1
	}
}

// reply is an answer, with the replica that gave it when it came through the proxy.
type reply struct {
	status  int
	header  http.Header
	body    []byte
	replica string
}

// caller sends requests to one base URL.
type caller struct {
	base   string
	client *http.Client
}

func (p *process) do(t *testing.T, method, path, token, body string, headers ...string) reply {
	return caller{p.base, p.client}.do(t, method, path, token, body, headers...)
}

func (p *process) form(t *testing.T, path string, form url.Values) reply {
	return caller{p.base, p.client}.form(t, path, form)
}

// do sends a JSON body (when not empty) as token (when not empty), with more headers in
// name, value pairs.
func (c caller) do(t *testing.T, method, path, token, body string, headers ...string) reply {
	t.Helper()
	return c.send(t, apitest.NewRequest(t, method, c.base+path, token, body, headers...))
}

func (c caller) form(t *testing.T, path string, form url.Values) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.send(t, req)
}

func (c caller) send(t *testing.T, req *http.Request) reply {
	res, err := c.client.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", req.Method, req.URL.Path, err)
		return reply{}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Errorf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	return reply{status: res.StatusCode, header: res.Header, body: b, replica: res.Header.Get(replicaHeader)}
}

// token signs in with form and returns the access token.
func (c caller) token(t *testing.T, form url.Values) string {
	t.Helper()
	r := c.form(t, "/v1/auth/token", form)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if r.status != http.StatusOK || json.Unmarshal(r.body, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("%s grant: %d %s", form.Get("grant_type"), r.status, r.body)
	}
	return tok.AccessToken
}

// replicaHeader names, in answers that came through the proxy, the replica that gave it.
const replicaHeader = "X-Test-Replica"

// newRoundRobin puts a reverse proxy in front of the replicas, as a load balancer would: each
// request goes to the next one, with X-Forwarded-For set.
func newRoundRobin(t *testing.T, replicas []*process) caller {
	t.Helper()
	targets := make([]*url.URL, len(replicas))
	index := map[string]string{}
	for i, p := range replicas {
		u, err := url.Parse(p.base)
		if err != nil {
			t.Fatal(err)
		}
		targets[i] = u
		index[u.Host] = strconv.Itoa(i)
	}
	var next atomic.Uint64
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(targets[(next.Add(1)-1)%uint64(len(targets))])
			r.SetXForwarded()
		},
		ModifyResponse: func(res *http.Response) error {
			res.Header.Set(replicaHeader, index[res.Request.URL.Host])
			return nil
		},
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	return caller{base: srv.URL, client: &http.Client{Timeout: 10 * time.Second}}
}
