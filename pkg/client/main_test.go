package client_test

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
)

// The examples run against a p4w of their own, started here: an example takes no *testing.T to
// start one with. They find it as a program would, in the environment: P4W_URL, the API client
// of a trust's HR system (P4W_CLIENT_ID, P4W_CLIENT_SECRET), and a front end's signed-in user of
// another trust (P4W_ACCESS_TOKEN, P4W_ORGANISATION_ID).
func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	tb := &mainTB{}
	defer tb.cleanup()
	if examplesMayRun() && !tb.do(startExampleServer) {
		return 1
	}
	code := m.Run()
	if tb.hasFailed() && code == 0 {
		return 1
	}
	return code
}

// startExampleServer starts p4w with the data the examples print.
func startExampleServer(tb testing.TB) {
	env := apitest.New(tb)
	env.StartJobs(tb) // ExampleImport waits for its job
	northgate := env.Organisation(tb, domain.KindTrust, "Northgate Teaching Hospitals NHS Foundation Trust")
	admin := env.User(tb, northgate.ID, domain.RoleOrgAdmin)
	coordinator := env.User(tb, northgate.ID, domain.RoleCoordinator)
	for _, p := range []struct {
		ref, given, family string
		hrSharing          bool
	}{{"NTH-0001", "Aisha", "Khan", true}, {"NTH-0002", "Ben", "Carter", true}, {"NTH-0003", "Chloe", "Davies", false}} {
		env.MustCreate(tb, "/v1/participants", coordinator, apitest.ParticipantBody(tb, northgate.ID, "external_ref", p.ref,
			"given_name", p.given, "family_name", p.family, "consent", map[string]bool{"processing": true, "hr_sharing": p.hrSharing}))
	}
	_, clientID, secret := env.APIClient(tb, admin, northgate.ID, "participants:read")

	riverside := env.Organisation(tb, domain.KindTrust, "Riverside Community Health NHS Trust")
	frontEnd := env.User(tb, riverside.ID, domain.RoleCoordinator)

	for name, value := range map[string]string{"P4W_URL": env.URL, "P4W_CLIENT_ID": clientID, "P4W_CLIENT_SECRET": secret,
		"P4W_ACCESS_TOKEN": frontEnd, "P4W_ORGANISATION_ID": riverside.ID.String()} {
		tb.Setenv(name, value)
	}
}

// examplesMayRun reports whether -run lets an example run: the server is started only then.
func examplesMayRun() bool {
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		return false
	}
	pattern := ""
	if f := flag.Lookup("test.run"); f != nil {
		pattern = f.Value.String()
	}
	if pattern == "" {
		return true
	}
	re, err := regexp.Compile(strings.Split(pattern, "/")[0])
	if err != nil {
		return true // go test reports the pattern
	}
	return re.MatchString("Example") || re.MatchString("ExampleStaticToken") || re.MatchString("ExampleWithRetries") || re.MatchString("ExampleImport")
}

// mainTB is a testing.TB for TestMain, which has none, so that the examples' server is started
// by the helpers every test uses. It defines the methods those helpers call; any other would
// reach the nil embedded TB and panic, which says plainly that one is missing here.
type mainTB struct {
	testing.TB

	mu       sync.Mutex
	failed   bool
	cleanups []func()
}

// fatal is the panic of Fatal, which do recovers.
type fatal struct{}

// do runs f with tb, reporting false when it failed.
func (tb *mainTB) do(f func(testing.TB)) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, isFatal := r.(fatal); !isFatal {
				panic(r)
			}
		}
		ok = !tb.hasFailed()
	}()
	f(tb)
	return true
}

func (tb *mainTB) Helper() {}

func (tb *mainTB) Errorf(format string, args ...any) {
	tb.mu.Lock()
	tb.failed = true
	tb.mu.Unlock()
	fmt.Fprintf(os.Stderr, "the examples' p4w: "+format+"\n", args...)
}

func (tb *mainTB) Fatalf(format string, args ...any) {
	tb.Errorf(format, args...)
	panic(fatal{})
}

func (tb *mainTB) Fatal(args ...any) { tb.Fatalf("%s", fmt.Sprint(args...)) }

func (tb *mainTB) Cleanup(f func()) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.cleanups = append(tb.cleanups, f)
}

func (tb *mainTB) TempDir() string {
	dir, err := os.MkdirTemp("", "p4w-examples-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func (tb *mainTB) Setenv(key, value string) {
	old, had := os.LookupEnv(key)
	if err := os.Setenv(key, value); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if had {
			os.Setenv(key, old)
		} else {
			os.Unsetenv(key)
		}
	})
}

func (tb *mainTB) hasFailed() bool {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return tb.failed
}

// cleanup runs the cleanups registered, the last first, as testing does.
func (tb *mainTB) cleanup() {
	tb.mu.Lock()
	fs := tb.cleanups
	tb.cleanups = nil
	tb.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		tb.do(func(testing.TB) { fs[i]() })
	}
}
