package main

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionCommand(t *testing.T) {
	t.Parallel()
	var stdout, stderr syncBuffer
	// Nothing is configured: printing the version needs no settings.
	code := Main(context.Background(), []string{"version"}, Env{Getenv: func(string) string { return "" }, Stdout: &stdout, Stderr: &stderr})
	if code != 0 || stderr.String() != "" {
		t.Fatalf("p4w version: exit %d, stderr %q; want 0 and nothing", code, stderr.String())
	}
	if got := stdout.String(); !strings.HasPrefix(got, "p4w dev\ncommit ") {
		t.Errorf("p4w version printed %q, want the default version dev and a commit line", got)
	}
	var help syncBuffer
	Main(context.Background(), []string{"help"}, Env{Getenv: func(string) string { return "" }, Stdout: &help, Stderr: io.Discard})
	if !strings.Contains(help.String(), "p4w version ") {
		t.Errorf("p4w help does not list p4w version:\n%s", help.String())
	}
}

func TestVersionText(t *testing.T) {
	t.Parallel()
	stamped := func(settings ...debug.BuildSetting) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) { return &debug.BuildInfo{Settings: settings}, true }
	}
	rev := debug.BuildSetting{Key: "vcs.revision", Value: "1352a6e0c1ab4b07c8d1f5e0d7e3b9a1c2d3e4f5"}
	for _, tc := range []struct {
		name string
		info func() (*debug.BuildInfo, bool)
		want string
	}{
		{"a clean checkout", stamped(rev, debug.BuildSetting{Key: "vcs.modified", Value: "false"}),
			"p4w 1.4.0\ncommit 1352a6e0c1ab4b07c8d1f5e0d7e3b9a1c2d3e4f5"},
		{"uncommitted changes", stamped(rev, debug.BuildSetting{Key: "vcs.modified", Value: "true"}),
			"p4w 1.4.0\ncommit 1352a6e0c1ab4b07c8d1f5e0d7e3b9a1c2d3e4f5 (with uncommitted changes)"},
		{"no commit stamped (go run)", stamped(), "p4w 1.4.0\ncommit unknown"},
		{"no build information", func() (*debug.BuildInfo, bool) { return nil, false }, "p4w 1.4.0\ncommit unknown"},
	} {
		if got := versionText("1.4.0", tc.info); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestVersionOfABuiltBinary builds p4w as make build does, with the version given to the
// linker, and runs it: the -X flag must name the variable, and the commit printed must be the
// one the toolchain stamped (go build does in a git checkout, unless -buildvcs=false).
func TestVersionOfABuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "p4w")
	build := exec.Command("go", "build", "-buildvcs=auto", "-ldflags", "-X main.version=9.8.7-test", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	meta, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	commit := "unknown"
	if m := regexp.MustCompile(`(?m)\bvcs\.revision=(\S+)`).FindSubmatch(meta); m != nil {
		commit = string(m[1])
	} else {
		t.Logf("the toolchain stamped no commit (not a git checkout, or a git worktree):\n%s", meta)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("p4w version: %v", err)
	}
	want := "p4w 9.8.7-test\ncommit " + commit
	if !strings.HasPrefix(string(out), want) {
		t.Errorf("p4w version printed %q, want it to begin %q", out, want)
	}
}
