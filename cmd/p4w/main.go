// Command p4w is the p4w API server and its administration commands.
//
//	p4w serve             run the API (migrating first unless P4W_MIGRATE_ON_START=false)
//	p4w migrate up        apply pending migrations
//	p4w migrate status    list migrations and whether each is applied
//	p4w seed demo         load the demo data set and demo users (idempotent)
//	p4w admin bootstrap --email ADDRESS
//	                      create the national organisation and its first national_admin,
//	                      reading the password from P4W_ADMIN_PASSWORD or standard input
//	p4w version           the version and the commit it was built from
//	p4w help              what each command does, and every setting with its default
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/app"
	"github.com/p4w-nhs/p4w/internal/config"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/httpapi"
	"github.com/p4w-nhs/p4w/internal/jobs"
	"github.com/p4w-nhs/p4w/internal/postgres"
	"github.com/p4w-nhs/p4w/internal/seed"
	"github.com/p4w-nhs/p4w/internal/service"
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

// version is the release this binary is, set when it is built:
// go build -ldflags "-X main.version=1.4.0" (make build sets it from git describe).
var version = "dev"

const usage = `usage: p4w serve | migrate up | migrate status | seed demo | admin bootstrap --email ADDRESS | version
Run "p4w help" for what each command does and the settings it reads.`

const commands = `p4w is the Preparation for Work API server.

Usage:
  p4w serve                            run the API (migrating first unless P4W_MIGRATE_ON_START=false)
  p4w migrate up                       apply pending migrations, the job queue's included
  p4w migrate status                   list the migrations and whether each is applied
  p4w seed demo                        load the demo data set, users and API clients (idempotent)
  p4w admin bootstrap --email ADDRESS  create the national organisation and its first national_admin,
                                       with the password from P4W_ADMIN_PASSWORD or standard input
  p4w version                          the version and the commit it was built from
  p4w help                             this text

Exit codes: 0 done, 1 the command failed (the log says why), 2 bad usage or settings.
`

// help writes what each command does and every setting, with its default.
func help(w io.Writer) {
	fmt.Fprint(w, commands, "\nSettings (environment variables):\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range config.Settings {
		def := s.Default
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Name, def, s.Meaning)
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "\nREADME.md says more of each, under Configuration.")
}

// wantsHelp tells whether args ask for help anywhere: p4w help, p4w --help, p4w serve -h...
func wantsHelp(args []string) bool {
	if len(args) > 0 && args[0] == "help" {
		return true
	}
	return slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "-help" || a == "--help" })
}

// Main runs one command and returns the process exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if wantsHelp(args) { // before the settings are read: help needs none
		help(env.Stdout)
		return 0
	}
	cmd := arg(args, 0) + " " + arg(args, 1)
	if cmd == "version " { // needs no settings either
		fmt.Fprintln(env.Stdout, versionText(version, debug.ReadBuildInfo))
		return 0
	}
	if !slices.Contains([]string{"serve ", "migrate up", "migrate status", "seed demo", "admin bootstrap"}, cmd) {
		fmt.Fprintln(env.Stderr, usage) // before the settings: a typo is told as a typo
		return 2
	}
	cfg, err := config.Load(env.Getenv)
	if err != nil {
		fmt.Fprintln(env.Stderr, "p4w:", err)
		return 2
	}
	log := slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	switch cmd {
	case "serve ":
		err = serve(ctx, cfg, log, env)
	case "migrate up":
		err = migrateUp(ctx, cfg, log)
	case "migrate status":
		err = migrateStatus(ctx, cfg, env.Stdout)
	case "seed demo":
		err = seedDemo(ctx, cfg, env.Stdout)
	case "admin bootstrap":
		err = adminBootstrap(ctx, cfg, args[2:], env)
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

// versionText is what p4w version prints: the version, then the commit the Go toolchain
// stamped into the binary (go build in a git checkout does; go run and go test do not), marked
// when the checkout had uncommitted changes.
func versionText(version string, buildInfo func() (*debug.BuildInfo, bool)) string {
	commit, modified := "unknown", false
	if info, ok := buildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if modified {
		commit += " (with uncommitted changes)"
	}
	return "p4w " + version + "\ncommit " + commit
}

func arg(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}

func migrateUp(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	res, err := postgres.Migrate(ctx, cfg.DatabaseURL)
	for _, r := range res.Schema {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration_ms", r.Duration.Milliseconds())
	}
	for _, r := range res.Jobs {
		log.Info("job queue migration applied", "river_version", r.Version, "name", r.Name, "duration_ms", r.Duration.Milliseconds())
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
	db, err := postgres.Open(ctx, cfg.DatabaseURL, app.PoolOptions(cfg, log))
	if err != nil {
		return err
	}
	defer db.Close()
	replica, err := app.OpenReadDB(ctx, cfg, db, app.PoolOptions(cfg, log))
	if err != nil {
		return err
	}
	if replica != nil {
		defer replica.Close()
		log.Info("long reads go to the read replica")
	}
	services, err := app.NewServices(cfg, db)
	if err != nil {
		return err
	}
	// Background jobs start now and stop after the requests have drained, before the pool
	// closes (this defer runs before db.Close's; the normal path stops them explicitly).
	services.Deliverer.Log = log.With("component", "webhooks")
	runner, err := jobs.New(db, jobs.Config{Workers: cfg.JobWorkers, IdempotencyTTL: cfg.IdempotencyTTL, Log: log,
		Imports: services.Imports, Webhooks: services.Deliverer, WebhookWorkers: cfg.WebhookWorkers})
	if err != nil {
		return err
	}
	if err := runner.Start(ctx); err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		_ = runner.Stop(stopCtx) // a no-op after the explicit Stop below
	}()
	drain := &httpapi.Drain{}
	handler, err := app.Handler(cfg, db, services, log, drain)
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
		MaxHeaderBytes:    4 * httpapi.MaxHeaderBytes, // over the API's limit: the API, not Go, answers in between
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
	// Drain: readiness answers 503 at once, so the load balancer stops sending requests, while
	// those that still come are served for the drain delay, each on a connection closed after
	// its answer (no keep-alive left to reset). Then stop accepting, let requests in flight
	// finish, and close the pool.
	drain.Start()
	srv.SetKeepAlivesEnabled(false)
	log.Info("draining", "delay", cfg.DrainDelay.String())
	select {
	case err := <-done:
		return err
	case <-time.After(cfg.DrainDelay):
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	// Jobs running now get what is left of the shutdown timeout, then are cancelled: a
	// cancelled attempt fails and River retries it later, on whichever replica is up.
	if err := runner.Stop(shutdownCtx); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// demoPassword is the password of every demo user: the demo is for a developer's machine.
const demoPassword = "demo-password-p4w"

func seedDemo(ctx context.Context, cfg config.Config, out io.Writer) error {
	db, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.PoolOptions{MaxOpen: 4})
	if err != nil {
		return err
	}
	defer db.Close()
	s, err := app.NewServices(cfg, db)
	if err != nil {
		return err
	}
	res, err := seed.Demo(ctx, seed.Services{Organisations: s.Organisations, Participants: s.Participants})
	if err != nil {
		return err
	}
	delivery, err := seed.Delivery(ctx, seed.DeliveryServices{Programmes: s.Programmes, Participants: s.Participants, Cohorts: s.Cohorts,
		Enrolments: s.Enrolments, Placements: s.Placements, Outcomes: s.Outcomes, Mentors: s.Mentors,
		Matches: s.Matches, Vacancies: s.Vacancies, Interviews: s.Interviews, FundingAwards: s.FundingAwards,
		CaseStudies: s.CaseStudies, Guidance: s.Guidance}, res)
	if err != nil {
		return err
	}
	users := []struct {
		email string
		org   uuid.UUID
		role  domain.Role
	}{
		{"national.admin@example.org", res.NationalID, domain.RoleNationalAdmin},
		{"coordinator@northgate.example.org", res.TrustIDs[0], domain.RoleCoordinator},
		{"viewer@northgate.example.org", res.TrustIDs[0], domain.RoleViewer},
		{"coordinator@riverside.example.org", res.TrustIDs[1], domain.RoleCoordinator},
		{"admin@merseyvalley.example.org", res.CollaborationID, domain.RoleOrgAdmin},
	}
	sysCtx := domain.WithPrincipal(ctx, service.System())
	for _, u := range users {
		_, err := s.Accounts.CreateUser(sysCtx, domain.User{Email: u.email, OrganisationID: u.org, Role: u.role}, demoPassword)
		if err != nil && domain.ErrorCode(err) != domain.CodeConflict {
			return err
		}
	}
	clients := []struct {
		clientID, secret string
		org              uuid.UUID
		scopes           []string
	}{
		{"demo-northgate-hr", "demo-secret-northgate-hr", res.TrustIDs[0], []string{domain.ScopeParticipantsRead, domain.ScopeParticipantsWrite}},
		{"demo-riverside-hr", "demo-secret-riverside-hr", res.TrustIDs[1], []string{domain.ScopeParticipantsRead}},
	}
	for _, c := range clients {
		_, err := s.Accounts.CreateClient(sysCtx, domain.APIClient{Name: c.clientID + " (demo HR system)", OrganisationID: c.org,
			ClientID: c.clientID, Scopes: c.scopes}, c.secret)
		if err != nil && domain.ErrorCode(err) != domain.CodeConflict {
			return err
		}
	}
	fmt.Fprintf(out, "demo data: %d organisations and %d participants created this run\n", res.Organisations, res.Participants)
	fmt.Fprintf(out, "demo delivery: %s\n", delivery)
	fmt.Fprintf(out, "demo users (password %q):\n", demoPassword)
	for _, u := range users {
		fmt.Fprintf(out, "  %-40s %s\n", u.email, u.role)
	}
	fmt.Fprintln(out, "demo API clients (client_credentials grant):")
	for _, c := range clients {
		fmt.Fprintf(out, "  client_id %-20s client_secret %-26s scopes %s\n", c.clientID, c.secret, strings.Join(c.scopes, " "))
	}
	return nil
}

// adminBootstrap creates the national organisation and its first national_admin. The password
// comes from P4W_ADMIN_PASSWORD or standard input, never from a flag that ps would show.
func adminBootstrap(ctx context.Context, cfg config.Config, args []string, env Env) error {
	fs := flag.NewFlagSet("admin bootstrap", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	email := fs.String("email", "", "the first national_admin's email")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("admin bootstrap: --email is required")
	}
	password := env.Getenv("P4W_ADMIN_PASSWORD")
	if password == "" {
		line, err := bufio.NewReader(env.Stdin).ReadString('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("read password from standard input: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.PoolOptions{MaxOpen: 2})
	if err != nil {
		return err
	}
	defer db.Close()
	s, err := app.NewServices(cfg, db)
	if err != nil {
		return err
	}
	created, err := s.Accounts.Bootstrap(ctx, *email, password)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(env.Stdout, "created national_admin %s\n", *email)
	} else {
		fmt.Fprintf(env.Stdout, "%s already exists: nothing changed\n", *email)
	}
	return nil
}
