// Command p4w is the p4w API server and its administration commands.
//
//	p4w serve             run the API (migrating first unless P4W_MIGRATE_ON_START=false)
//	p4w migrate up        apply pending migrations
//	p4w migrate status    list migrations and whether each is applied
//	p4w seed demo         load the demo data set (idempotent)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/p4w-nhs/p4w/internal/app"
	"github.com/p4w-nhs/p4w/internal/config"
	"github.com/p4w-nhs/p4w/internal/postgres"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(Main(ctx, os.Args[1:], Env{Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}

// Env is what a command may touch of the outside world; tests supply their own.
type Env struct {
	Getenv         func(string) string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Ready, when set, is called with the address serve listens on once it accepts requests.
	Ready func(addr string)
}

const usage = `usage: p4w serve | migrate up | migrate status | seed demo | admin bootstrap --email ADDRESS`

// Main runs one command and returns the process exit code.
func Main(ctx context.Context, args []string, env Env) int {
	cfg, err := config.Load(env.Getenv)
	if err != nil {
		fmt.Fprintln(env.Stderr, "p4w:", err)
		return 2
	}
	log := slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, usage)
		return 2
	}
	switch cmd := args[0] + " " + arg(args, 1); cmd {
	case "serve ":
		err = serve(ctx, cfg, log, env)
	case "migrate up":
		err = migrateUp(ctx, cfg, log)
	case "migrate status":
		err = migrateStatus(ctx, cfg, env.Stdout)
	case "seed demo":
		err = seedDemo(ctx, cfg, env.Stdout)
	default:
		fmt.Fprintln(env.Stderr, usage)
		return 2
	}
	if err != nil {
		log.Error("command failed", "command", args[0], "error", err.Error())
		return 1
	}
	return 0
}

func arg(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}

func migrateUp(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	res, err := postgres.Migrate(ctx, cfg.DatabaseURL)
	for _, r := range res {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration_ms", r.Duration.Milliseconds())
	}
	return err
}

func migrateStatus(ctx context.Context, cfg config.Config, out io.Writer) error {
	st, err := postgres.MigrationStatus(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	for _, s := range st {
		applied := "pending"
		if !s.AppliedAt.IsZero() {
			applied = "applied " + s.AppliedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(out, "%05d  %-40s  %s\n", s.Source.Version, s.Source.Path, applied)
	}
	return nil
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger, env Env) error {
	if cfg.MigrateOnStart {
		if err := migrateUp(ctx, cfg, log); err != nil {
			return err
		}
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.PoolOptions{MaxOpen: cfg.DBMaxConns, MaxIdle: cfg.DBMaxConns})
	if err != nil {
		return err
	}
	defer db.Close()
	handler, err := app.NewHandler(cfg, db, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	log.Info("serving", "addr", ln.Addr().String())
	if env.Ready != nil {
		env.Ready(ln.Addr().String())
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	// Stop accepting, let requests in flight finish, then close.
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

func seedDemo(ctx context.Context, cfg config.Config, out io.Writer) error {
	return fmt.Errorf("seed demo: not wired yet")
}
