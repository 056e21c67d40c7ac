package apidocs_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/apitest"
)

// chromium finds Debian's chromium. Without it the test skips, except in CI, where a reference
// nobody checked in a browser must fail the build.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (apt-get install chromium)")
	}
	t.Skip("chromium is not installed (apt-get install chromium); CI=true makes this a failure")
	return ""
}

// exampleProgrammeName is a programme name from the contract's example answer to
// GET /v1/programmes, which the page must show.
func exampleProgrammeName(t *testing.T) string {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.Spec)
	if err != nil {
		t.Fatalf("load the contract: %v", err)
	}
	ex := doc.Components.Examples["ProgrammePage"]
	if ex == nil || ex.Value == nil {
		t.Fatal("the contract has no ProgrammePage example")
	}
	page, _ := ex.Value.Value.(map[string]any)
	data, _ := page["data"].([]any)
	if len(data) == 0 {
		t.Fatalf("the ProgrammePage example has no programmes: %v", ex.Value.Value)
	}
	first, _ := data[0].(map[string]any)
	name, _ := first["name"].(string)
	if name == "" {
		t.Fatalf("the ProgrammePage example's first programme has no name: %v", first)
	}
	return name
}

// TestDocsInBrowser opens /docs in headless Chromium on a network where only the test server
// answers, and uses it as a person would: reads an operation's example, tries the operation
// without a token (401), pastes a token and tries it again (200). No request may leave for
// another origin, and the page must break no rule of its Content-Security-Policy.
func TestDocsInBrowser(t *testing.T) {
	browser := chromium(t)
	t.Parallel()
	env := apitest.New(t)
	_, token := env.NationalAdmin(t)
	example := exampleProgrammeName(t)
	server, err := url.Parse(env.URL)
	if err != nil {
		t.Fatal(err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
		chromedp.Flag("disable-gpu", true),
		// Cut the network off: no name resolves and every connection goes to a proxy that is not
		// there, except the test server's.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE "+server.Hostname()),
		chromedp.ProxyServer("http://127.0.0.1:9"),
		chromedp.Flag("proxy-bypass-list", server.Hostname()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
	)
	// Generous: CI runs this beside the whole suite, on two cores.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()

	// Every request the page makes, and every message the browser logs about the page breaking
	// its Content-Security-Policy.
	var mu sync.Mutex
	var elsewhere, violations []string
	ctx, cancelBrowser := chromedp.NewContext(ctx, chromedp.WithListener(func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			if u := ev.Request.URL; !strings.HasPrefix(u, env.URL+"/") && !strings.HasPrefix(u, "data:") {
				elsewhere = append(elsewhere, u)
			}
		case *log.EventEntryAdded:
			if strings.Contains(ev.Entry.Text, "Content Security Policy") {
				violations = append(violations, ev.Entry.Text)
			}
		}
	}))
	defer cancelBrowser()

	op := "#operations-programmes-listProgrammes"
	status := chromedp.CSS(op + " .live-responses-table tr.response .response-col_status")
	step := func(what string, action chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, action); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// execute clicks the operation's Execute button until its answer shows. A click is a mouse
	// event at the button's place on the page, and on a loaded machine Swagger UI may still be
	// laying the page out when it lands: the click then hits where the button was and is lost.
	// A person clicks again; so does this, up to five times.
	execute := func(what string) {
		t.Helper()
		var err error
		for range 5 {
			if err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(op+" .btn.execute"))); err != nil {
				t.Fatalf("%s: click Execute: %v", what, err)
			}
			wait, cancel := context.WithTimeout(ctx, 10*time.Second)
			err = chromedp.Do(wait, chromedp.WaitVisible(status))
			cancel()
			if err == nil {
				return
			}
			t.Logf("%s: no answer 10 s after clicking Execute (%v); clicking again", what, err)
		}
		t.Fatalf("%s: no answer after five clicks on Execute: %v", what, err)
	}
	text := func(what string, sel chromedp.CSS) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return s
	}

	// The deep link opens the operation, with the example of each of its answers.
	step("open the deep link", chromedp.Navigate(env.URL+"/docs#/programmes/listProgrammes"))
	step("wait for the example", chromedp.WaitVisible(chromedp.CSS(op+" .responses-wrapper .highlight-code")))
	shown := text("read the responses", chromedp.CSS(op+" .responses-wrapper"))

	execute("execute without a token")
	without := text("read the status", status)
	step("clear the answer", chromedp.Click(chromedp.CSS(op+" .btn-clear")))

	// Set at once, as a paste does: typed key by key, a 700-character token takes seconds.
	step("paste a token", chromedp.SetValue(chromedp.CSS("#p4w-token-value"), token))
	step("use it", chromedp.Click(chromedp.CSS("#p4w-token button[type=submit]")))
	step("wait for the lock", chromedp.WaitVisible(chromedp.CSS(op+` .authorization__btn[aria-label="authorization button locked"]`)))
	execute("execute with the token")
	with := text("read the status", status)

	if !strings.Contains(shown, example) {
		t.Errorf("the operation does not show its example (%q); it shows:\n%s", example, shown)
	}
	if got := strings.TrimSpace(without); got != "401" {
		t.Errorf("try it without a token: %s, want 401", got)
	}
	if got := strings.TrimSpace(with); got != "200" {
		t.Errorf("try it with a pasted token: %s, want 200", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(elsewhere) > 0 {
		t.Errorf("the page asked another origin for:\n%s", strings.Join(elsewhere, "\n"))
	}
	if len(violations) > 0 {
		t.Errorf("the page broke its Content-Security-Policy:\n%s", strings.Join(violations, "\n"))
	}
}
