package deployments_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/p4w-nhs/p4w/internal/config"
	"github.com/p4w-nhs/p4w/internal/pgtest"
)

// The README's tour signs in as this demo user, whom `p4w seed demo` creates.
const (
	demoCoordinator = "coordinator@northgate.example.org"
	demoPassword    = "demo-password-p4w"
)

// compose is the part of the Compose file format that compose.yaml uses: decoding it strictly makes
// a key this test does not know (a typo, or a new feature nobody checked here) fail.
type compose struct {
	Name     string                    `json:"name"`
	Services map[string]composeService `json:"services"`
	Volumes  map[string]*struct{}      `json:"volumes"`
}

type composeService struct {
	Image           string                      `json:"image"`
	Build           *composeBuild               `json:"build"`
	PullPolicy      string                      `json:"pull_policy"`
	Command         []string                    `json:"command"`
	Environment     map[string]string           `json:"environment"`
	Volumes         []string                    `json:"volumes"`
	Ports           []string                    `json:"ports"`
	DependsOn       map[string]composeDependsOn `json:"depends_on"`
	Healthcheck     *composeHealthcheck         `json:"healthcheck"`
	ReadOnly        bool                        `json:"read_only"`
	Tmpfs           []string                    `json:"tmpfs"`
	StopGracePeriod string                      `json:"stop_grace_period"`
	Restart         string                      `json:"restart"`
}

type composeBuild struct {
	Context    string `json:"context"`
	Dockerfile string `json:"dockerfile"`
	Target     string `json:"target"`
}

type composeDependsOn struct {
	Condition string `json:"condition"`
}

type composeHealthcheck struct {
	Test        []string `json:"test"`
	Interval    string   `json:"interval"`
	Timeout     string   `json:"timeout"`
	Retries     int      `json:"retries"`
	StartPeriod string   `json:"start_period"`
}

// isP4W tells the services that run the p4w image from the compose stage.
func (s composeService) isP4W() bool {
	return s.Build != nil && s.Build.Dockerfile == "deployments/Dockerfile"
}

// volumeMounts maps each named volume of the service to where it is mounted.
func (s composeService) volumeMounts(t *testing.T) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, v := range s.Volumes {
		name, target, ok := strings.Cut(v, ":")
		if !ok || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "/") {
			t.Fatalf("volume %q: want a named volume, NAME:/path", v)
		}
		target, _, _ = strings.Cut(target, ":") // drop :ro and the like
		m[name] = target
	}
	return m
}

func readCompose(t *testing.T) compose {
	t.Helper()
	var c compose
	decodeStrict(t, "compose.yaml", mustRead(t, "compose.yaml"), &c, func(top map[string]any) {
		// Compose's extension fields (x-...) hold the anchors the services merge; the services
		// are checked with the anchors merged in.
		for k := range top {
			if strings.HasPrefix(k, "x-") {
				delete(top, k)
			}
		}
	})
	return c
}

// dockerStage is what the test needs of one stage of deployments/Dockerfile.
type dockerStage struct {
	entrypoint []string
	uid, gid   int
	workdir    string
	owned      map[string][2]int // directory made by COPY --chown -> uid, gid
}

func readDockerStage(t *testing.T, name string) dockerStage {
	t.Helper()
	st := dockerStage{uid: -1, gid: -1, owned: map[string][2]int{}}
	in := false
	for line := range strings.Lines(string(mustRead(t, "Dockerfile"))) {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch instr := strings.ToUpper(f[0]); {
		case instr == "FROM":
			in = len(f) == 4 && strings.EqualFold(f[2], "AS") && f[3] == name
		case !in:
		case instr == "ENTRYPOINT":
			if err := json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), f[0]))), &st.entrypoint); err != nil {
				t.Fatalf("Dockerfile stage %s: ENTRYPOINT is not in exec (JSON) form: %v", name, err)
			}
		case instr == "USER":
			st.uid, st.gid = numericOwner(t, f[1])
		case instr == "WORKDIR":
			st.workdir = f[1]
		case instr == "COPY":
			for _, a := range f[1 : len(f)-1] {
				if owner, ok := strings.CutPrefix(a, "--chown="); ok {
					uid, gid := numericOwner(t, owner)
					st.owned[strings.TrimSuffix(f[len(f)-1], "/")] = [2]int{uid, gid}
				}
			}
		}
	}
	if st.entrypoint == nil || st.uid < 0 || st.workdir == "" {
		t.Fatalf("Dockerfile stage %s: want ENTRYPOINT, USER and WORKDIR, got %+v", name, st)
	}
	return st
}

// numericOwner parses UID:GID; a name could not be checked against Kubernetes' runAsNonRoot.
func numericOwner(t *testing.T, s string) (int, int) {
	t.Helper()
	u, g, _ := strings.Cut(s, ":")
	uid, err1 := strconv.Atoi(u)
	gid, err2 := strconv.Atoi(g)
	if err1 != nil || err2 != nil {
		t.Fatalf("Dockerfile: owner %q: want numeric UID:GID", s)
	}
	return uid, gid
}

// TestComposeFile checks what makes the compose stack start and stay safe, without Docker.
func TestComposeFile(t *testing.T) {
	c := readCompose(t)
	stage := readDockerStage(t, "compose")
	known := configSettings()
	api, steps := composeRoles(t, c)

	for name, s := range c.Services {
		if !s.isP4W() {
			continue
		}
		if s.Build.Target != "compose" || s.Image != "p4w:compose" {
			t.Errorf("%s: want the Dockerfile's compose stage as image p4w:compose, got target %q image %q", name, s.Build.Target, s.Image)
		}
		if !s.ReadOnly {
			t.Errorf("%s: the root filesystem must be read-only (read_only: true)", name)
		}
		for k := range s.Environment {
			if !known[k] {
				t.Errorf("%s: environment %s is not a setting internal/config reads", name, k)
			}
		}
		if v, ok := s.Environment["P4W_DATA_DIR"]; ok && !slices.Contains(slices.Collect(maps.Values(s.volumeMounts(t))), v) {
			t.Errorf("%s: P4W_DATA_DIR=%s is not a volume: it would be on the read-only root filesystem", name, v)
		}
		for vol, target := range s.volumeMounts(t) {
			if _, ok := c.Volumes[vol]; !ok {
				t.Errorf("%s: volume %s is not declared under volumes", name, vol)
			}
			// A new named volume takes the owner of the image's directory; one the image lacks
			// is root's, and the container's user could not write it.
			if owner, ok := stage.owned[target]; !ok || owner != [2]int{stage.uid, stage.gid} {
				t.Errorf("%s: %s is mounted at %s, which the Dockerfile's compose stage does not make as %d:%d (got %v)",
					name, vol, target, stage.uid, stage.gid, owner)
			}
		}
		if s.Environment["DATABASE_URL"] != "" && !dependsOn(c, name, "db", "service_healthy") {
			t.Errorf("%s: uses the database but does not wait for db to be healthy", name)
		}
	}

	// The API starts only once every one-shot step has succeeded, and serve does not migrate
	// on its own: the migrate step does.
	for _, step := range steps {
		if got := c.Services[api].DependsOn[step].Condition; got != "service_completed_successfully" {
			t.Errorf("%s: depends on %s with condition %q, want service_completed_successfully", api, step, got)
		}
		if r := c.Services[step].Restart; r != "no" {
			t.Errorf("%s: a one-shot step must not restart, got restart %q", step, r)
		}
	}
	if v := c.Services[api].Environment["P4W_MIGRATE_ON_START"]; v != "false" {
		t.Errorf("%s: P4W_MIGRATE_ON_START=%q, want \"false\": the migrate step migrates", api, v)
	}
	order := startOrder(t, c)
	if i, j := slices.IndexFunc(order, isCommand(c, "migrate", "up")), slices.IndexFunc(order, isCommand(c, "seed", "demo")); i < 0 || j < 0 || i > j {
		t.Errorf("start order %v: want a `migrate up` step, then a `seed demo` step", order)
	}

	// The healthcheck asks /readyz on the port serve listens on, and that port is published.
	cfg, err := config.Load(envOf(c.Services[api].Environment, map[string]string{"DATABASE_URL": "postgres://x"}))
	if err != nil {
		t.Fatalf("%s: its environment does not load: %v", api, err)
	}
	_, port, _ := net.SplitHostPort(cfg.HTTPAddr)
	hc := c.Services[api].Healthcheck
	if hc == nil || len(hc.Test) < 2 || hc.Test[0] != "CMD" {
		t.Fatalf("%s: want an exec-form healthcheck, got %+v", api, hc)
	}
	hu, err := url.Parse(hc.Test[len(hc.Test)-1])
	if err != nil || hu.Path != "/readyz" || hu.Port() != port {
		t.Errorf("%s: healthcheck %v: want the last argument to be http://127.0.0.1:%s/readyz", api, hc.Test, port)
	}
	if !slices.ContainsFunc(c.Services[api].Ports, func(p string) bool { return strings.HasSuffix(p, ":"+port) }) {
		t.Errorf("%s: ports %v do not publish the listening port %s", api, c.Services[api].Ports, port)
	}
	if d, err := time.ParseDuration(c.Services[api].StopGracePeriod); err != nil || d < cfg.DrainDelay+cfg.ShutdownTimeout {
		t.Errorf("%s: stop_grace_period %q is shorter than P4W_DRAIN_DELAY + P4W_SHUTDOWN_TIMEOUT (%s)", api,
			c.Services[api].StopGracePeriod, cfg.DrainDelay+cfg.ShutdownTimeout)
	}
	if !slices.Equal(stage.entrypoint, []string{"/p4w"}) {
		t.Errorf("Dockerfile compose stage: ENTRYPOINT %v, want [/p4w] (the commands here are p4w's)", stage.entrypoint)
	}
}

// TestComposeStackServesTheTour runs compose.yaml's p4w services as their containers would run,
// twice (a second `up` re-runs the one-shot steps and restarts the API on the same volume), and
// follows the README's tour through the running API.
func TestComposeStackServesTheTour(t *testing.T) {
	c := readCompose(t)
	stage := readDockerStage(t, "compose")
	api, _ := composeRoles(t, c)
	run := newContainerRunner(t, stage)
	databaseURL := dbProxy(t, pgtest.EmptyURL(t))

	// Each named volume is one writable directory, whichever service mounts it.
	volumes := map[string]string{}
	envFor := func(name string) []string {
		s := c.Services[name]
		paths := map[string]string{}
		for vol, target := range s.volumeMounts(t) {
			if volumes[vol] == "" {
				volumes[vol] = run.writableDir(t, "volume-"+vol)
			}
			paths[target] = volumes[vol]
		}
		var env []string
		for k, v := range s.Environment {
			switch {
			case k == "DATABASE_URL":
				v = databaseURL
			default:
				for target, dir := range paths {
					if v == target || strings.HasPrefix(v, target+"/") {
						v = dir + strings.TrimPrefix(v, target)
					}
				}
			}
			env = append(env, k+"="+v)
		}
		if slices.Contains(s.Tmpfs, "/tmp") {
			env = append(env, "TMPDIR="+run.writableDir(t, "tmpfs-"+name))
		}
		return env
	}

	var token string
	for up := 1; up <= 2; up++ {
		for _, name := range startOrder(t, c) {
			if name == api {
				continue
			}
			out := run.oneShot(t, name, c.Services[name].Command, envFor(name))
			t.Logf("up %d: %s: %s", up, name, firstLine(out))
		}
		if up == 1 {
			// The seed step made the development key on the volume, as the container's user.
			if len(volumes) == 0 {
				t.Fatalf("no p4w service mounts a volume: the development key has nowhere to go")
			}
			for vol, dir := range volumes {
				key := filepath.Join(dir, "keys", "dev-signing-key.pem")
				if info, err := os.Stat(key); err != nil {
					t.Errorf("volume %s: %v", vol, err)
				} else if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != run.uid {
					t.Errorf("volume %s: the key belongs to uid %d, not the container's user %d", vol, st.Uid, run.uid)
				}
			}
		}
		// The API's port is published by compose; here it listens on a free loopback port.
		srv := run.start(t, api, c.Services[api].Command, append(envFor(api), "P4W_HTTP_ADDR=127.0.0.1:0"))
		hc := c.Services[api].Healthcheck.Test
		readyz, _ := url.Parse(hc[len(hc)-1])
		readyz.Host = srv.addr
		if code, body := httpDo(t, "GET", readyz.String(), "", nil); code != http.StatusOK {
			t.Fatalf("up %d: healthcheck %s: %d %s", up, readyz, code, body)
		}
		base := "http://" + srv.addr
		if up == 2 {
			// The signing key lives on the volume: a token from before the restart still works.
			if code, body := httpDo(t, "GET", base+"/v1/programmes?limit=1", token, nil); code != http.StatusOK {
				t.Errorf("up 2: the token issued before the restart: %d %s", code, body)
			}
		}
		token = signIn(t, base)
		var programmes, participants struct {
			Data []map[string]any `json:"data"`
		}
		getJSON(t, base+"/v1/programmes?limit=7", token, &programmes)
		getJSON(t, base+"/v1/participants?limit=2", token, &participants)
		if len(programmes.Data) == 0 || len(participants.Data) == 0 {
			t.Fatalf("up %d: the demo coordinator sees %d programmes and %d participants, want some of each", up,
				len(programmes.Data), len(participants.Data))
		}
		t.Logf("up %d: signed in as %s; first programme %v", up, demoCoordinator, programmes.Data[0]["code"])

		grace, err := time.ParseDuration(c.Services[api].StopGracePeriod)
		if err != nil {
			grace = 10 * time.Second // compose's default
		}
		srv.stop(t, grace)
	}
}

// composeRoles names the API (the p4w service that serves) and the one-shot steps (every other
// p4w service).
func composeRoles(t *testing.T, c compose) (api string, steps []string) {
	t.Helper()
	for name, s := range c.Services {
		switch {
		case !s.isP4W():
		case slices.Equal(s.Command, []string{"serve"}):
			if api != "" {
				t.Fatalf("two services serve: %s and %s", api, name)
			}
			api = name
		default:
			steps = append(steps, name)
		}
	}
	if api == "" || len(steps) == 0 {
		t.Fatalf("want a p4w service that serves and one-shot steps before it; got api %q, steps %v", api, steps)
	}
	slices.Sort(steps)
	return api, steps
}

// startOrder is the p4w services in an order compose may start them: each after those it
// depends on.
func startOrder(t *testing.T, c compose) []string {
	t.Helper()
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string)
	visit = func(name string) {
		switch state[name] {
		case 1:
			t.Fatalf("depends_on has a cycle through %s", name)
		case 2:
			return
		}
		s, ok := c.Services[name]
		if !ok {
			t.Fatalf("depends_on names %s, which is not a service", name)
		}
		state[name] = 1
		deps := slices.Sorted(maps.Keys(s.DependsOn))
		for _, d := range deps {
			visit(d)
		}
		state[name] = 2
		if s.isP4W() {
			order = append(order, name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Services)) {
		visit(name)
	}
	return order
}

func dependsOn(c compose, from, to, condition string) bool {
	for d, dep := range c.Services[from].DependsOn {
		if (d == to && dep.Condition == condition) || dependsOn(c, d, to, condition) {
			return true
		}
	}
	return false
}

func isCommand(c compose, cmd ...string) func(string) bool {
	return func(name string) bool { return slices.Equal(c.Services[name].Command, cmd) }
}

// configSettings is every environment variable internal/config reads: Load is asked once with a
// getenv that writes down what it is asked for.
func configSettings() map[string]bool {
	names := map[string]bool{}
	_, _ = config.Load(func(name string) string { names[name] = true; return "" })
	return names
}

func envOf(env map[string]string, override map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := override[k]; ok {
			return v
		}
		return env[k]
	}
}

// containerRunner runs the p4w binary as the compose stage's image would: the ENTRYPOINT with the
// service's command as arguments, only the service's environment, a working directory it cannot
// write and, when the test runs as root (as CI does), the image's unprivileged USER, whom
// permissions stop where root would pass.
type containerRunner struct {
	bin      string
	workdir  string
	cred     *syscall.Credential
	uid, gid int
}

func newContainerRunner(t *testing.T, stage dockerStage) *containerRunner {
	t.Helper()
	root := t.TempDir()
	// t.TempDir's parent is private to the test's user: the container's user must reach inside.
	for _, d := range []string{filepath.Dir(root), root} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r := &containerRunner{bin: filepath.Join(root, "p4w"), workdir: filepath.Join(root, "workdir"), uid: os.Getuid(), gid: os.Getgid()}
	if os.Geteuid() == 0 {
		r.uid, r.gid = stage.uid, stage.gid
		r.cred = &syscall.Credential{Uid: uint32(stage.uid), Gid: uint32(stage.gid)}
	}
	// The Dockerfile's build: a static binary.
	build := exec.Command("go", "build", "-trimpath", "-o", r.bin, "./cmd/p4w")
	build.Dir = ".."
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if err := os.Mkdir(r.workdir, 0o555); err != nil {
		t.Fatal(err)
	}
	return r
}

// writableDir stands for a volume or a tmpfs: a directory only the container's user may write.
func (r *containerRunner) writableDir(t *testing.T, name string) string {
	t.Helper()
	d := filepath.Join(filepath.Dir(r.bin), name)
	if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		t.Fatal(err)
	}
	if err := os.Chown(d, r.uid, r.gid); err != nil {
		t.Fatal(err)
	}
	return d
}

func (r *containerRunner) command(ctx context.Context, args, env []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, r.bin, args...)
	cmd.Dir = r.workdir
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: r.cred}
	return cmd
}

func (r *containerRunner) oneShot(t *testing.T, name string, args, env []string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := r.command(ctx, args, env)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s (p4w %s) did not complete successfully: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, &stdout, &stderr)
	}
	return stdout.String()
}

type server struct {
	cmd    *exec.Cmd
	addr   string
	done   chan error
	stderr *syncBuffer
}

// start runs a long-lived service and waits until it listens.
func (r *containerRunner) start(t *testing.T, name string, args, env []string) *server {
	t.Helper()
	s := &server{cmd: r.command(context.Background(), args, env), done: make(chan error, 1), stderr: &syncBuffer{}}
	pr, pw := io.Pipe()
	s.cmd.Stderr = pw
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	go func() { err := s.cmd.Wait(); pw.Close(); s.done <- err }()
	t.Cleanup(func() { _ = s.cmd.Process.Kill() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			fmt.Fprintln(s.stderr, sc.Text())
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving" {
				addr <- line.Addr
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	select {
	case s.addr = <-addr:
		return s
	case err := <-s.done:
		t.Fatalf("%s (p4w %s) exited before serving: %v\n%s", name, strings.Join(args, " "), err, s.stderr)
	case <-time.After(time.Minute):
		t.Fatalf("%s: not serving after a minute\n%s", name, s.stderr)
	}
	return nil
}

// stop is `docker compose stop`: SIGTERM, and a clean exit within the grace period.
func (s *server) stop(t *testing.T, grace time.Duration) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("serve exited with %v on SIGTERM\n%s", err, s.stderr)
		}
	case <-time.After(grace):
		t.Errorf("serve still running %s after SIGTERM: compose would kill it\n%s", grace, s.stderr)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// dbProxy forwards a loopback TCP port to the database and returns the URL through it. The
// containers reach PostgreSQL over the network (db:5432); here the database may listen on a Unix
// socket in a directory only its owner may enter (scripts/with-postgres.sh makes one), which the
// container's unprivileged user could not reach.
func dbProxy(t *testing.T, databaseURL string) string {
	t.Helper()
	u, err := url.Parse(databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	network, target := "tcp", u.Host
	if h := q.Get("host"); strings.HasPrefix(h, "/") {
		port := q.Get("port")
		if port == "" {
			port = "5432"
		}
		network, target = "unix", filepath.Join(h, ".s.PGSQL."+port)
	} else if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	var conns sync.Map
	t.Cleanup(func() { conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true }) })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial(network, target)
			if err != nil {
				in.Close()
				continue
			}
			conns.Store(in, nil)
			conns.Store(out, nil)
			wg.Add(2)
			pipe := func(dst, src net.Conn) {
				defer wg.Done()
				_, _ = io.Copy(dst, src)
				dst.Close()
				src.Close()
			}
			go pipe(in, out)
			go pipe(out, in)
		}
	}()
	u.Host = ln.Addr().String()
	q.Del("host")
	q.Del("port")
	u.RawQuery = q.Encode()
	return u.String()
}

func signIn(t *testing.T, base string) string {
	t.Helper()
	form := url.Values{"grant_type": {"password"}, "username": {demoCoordinator}, "password": {demoPassword}}
	code, body := httpDo(t, "POST", base+"/v1/auth/token", "", strings.NewReader(form.Encode()))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("sign in as %s: %d %s", demoCoordinator, code, body)
	}
	return tok.AccessToken
}

func getJSON(t *testing.T, u, token string, v any) {
	t.Helper()
	code, body := httpDo(t, "GET", u, token, nil)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

func httpDo(t *testing.T, method, u, token string, body io.Reader) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
