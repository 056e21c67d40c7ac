package apitest

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ServeProcess runs `bin serve` as a process of its own with the environment env (which names
// its P4W_HTTP_ADDR), logging to dir/server.log, and returns the process and its base URL once
// /readyz answers 200. It is stopped with SIGTERM, as a deployment stops it, when tb ends; a
// failed tb shows the server's log. For benchmarks that measure p4w from outside, the way
// `make bench-import` and `make bench-reports` do.
func ServeProcess(tb testing.TB, bin string, env []string, dir string) (*exec.Cmd, string) {
	tb.Helper()
	var addr string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "P4W_HTTP_ADDR="); ok {
			addr = v
		}
	}
	if addr == "" {
		tb.Fatal("ServeProcess: env names no P4W_HTTP_ADDR")
	}
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logFile, logFile
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logFile.Close()
		if tb.Failed() {
			log, _ := os.ReadFile(logFile.Name())
			tb.Logf("server log:\n%s", log)
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(time.Minute)
	for {
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return cmd, base
			}
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(logFile.Name())
			tb.Fatalf("p4w serve exited: %v\n%s", err, log)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("p4w serve not ready at %s after a minute", base)
		}
	}
}
