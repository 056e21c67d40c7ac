// Package config reads p4w's settings from environment variables. README.md lists them.
package config

import (
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of the p4w binary.
type Config struct {
	DatabaseURL    string     // DATABASE_URL
	HTTPAddr       string     // P4W_HTTP_ADDR
	LogLevel       slog.Level // P4W_LOG_LEVEL
	MigrateOnStart bool       // P4W_MIGRATE_ON_START
	DBMaxConns     int        // P4W_DB_MAX_CONNS
	// P4W_READ_DATABASE_URL: a streaming replica for long reads (the audit trail, reports,
	// exports), which fall back to the primary when it is down; empty: they use the primary.
	ReadDatabaseURL string
	// Bounds on every wait for PostgreSQL; hitting one answers 503 with Retry-After.
	DBConnectTimeout   time.Duration // P4W_DB_CONNECT_TIMEOUT: opening a connection
	DBAcquireTimeout   time.Duration // P4W_DB_ACQUIRE_TIMEOUT: waiting for a pooled connection
	DBStatementTimeout time.Duration // P4W_DB_STATEMENT_TIMEOUT: one statement, lock waits included
	RequestTimeout     time.Duration // P4W_REQUEST_TIMEOUT: a whole request's work
	CORSOrigins        []string      // P4W_CORS_ORIGINS, comma-separated
	BodyLimitBytes     int64         // P4W_BODY_LIMIT_BYTES
	ImportMaxBytes     int64         // P4W_IMPORT_MAX_BYTES: the file of one import, which has its own limit
	IdempotencyTTL     time.Duration // P4W_IDEMPOTENCY_TTL
	ShutdownTimeout    time.Duration // P4W_SHUTDOWN_TIMEOUT
	// P4W_DRAIN_DELAY: on SIGTERM, how long readiness answers 503 while requests are still
	// served, before the listener closes.
	DrainDelay        time.Duration
	DataDir           string        // P4W_DATA_DIR: development key and other local state
	JWTIssuer         string        // P4W_JWT_ISSUER
	JWTAudience       string        // P4W_JWT_AUDIENCE
	JWTSigningKey     string        // P4W_JWT_SIGNING_KEY: PEM, or
	JWTSigningKeyFile string        // P4W_JWT_SIGNING_KEY_FILE
	JWTVerifyKeyFiles []string      // P4W_JWT_VERIFY_KEY_FILES: retired public keys still accepted, comma-separated
	AccessTokenTTL    time.Duration // P4W_ACCESS_TOKEN_TTL
	RefreshTokenTTL   time.Duration // P4W_REFRESH_TOKEN_TTL
	// P4W_OIDC_ISSUERS: the identity providers whose tokens the token endpoint exchanges for
	// p4w's (a JSON array, or the path of a file holding one; auth.LoadFederation reads it).
	OIDCIssuers string
	// P4W_TOKEN_RATE_PER_MINUTE: token endpoint requests per client address and minute.
	TokenRatePerMinute int
	// P4W_PUBLIC_RATE_PER_MINUTE: requests to the public endpoints (no token) per client address and minute.
	PublicRatePerMinute int
	// P4W_TRUST_PROXY_HEADERS: take the client address from X-Forwarded-For (behind a load balancer).
	TrustProxyHeaders bool
	// P4W_JOB_WORKERS: background jobs (internal/jobs) this replica works at once.
	JobWorkers int
	// Webhook delivery (internal/webhooks).
	WebhookTimeout           time.Duration   // P4W_WEBHOOK_TIMEOUT: one attempt, connecting to the answer's head
	WebhookWorkers           int             // P4W_WEBHOOK_WORKERS: subscriptions this replica delivers to at once
	WebhookRetrySchedule     []time.Duration // P4W_WEBHOOK_RETRY_SCHEDULE: the waits after each failed attempt
	WebhookAllowHTTPLoopback bool            // P4W_WEBHOOK_ALLOW_HTTP_LOOPBACK: http:// to loopback (tests, a local receiver)
	WebhookAllowCIDRs        []netip.Prefix  // P4W_WEBHOOK_ALLOW_CIDRS: private ranges a target may be in
}

// Load reads the configuration through getenv, applying the defaults.
func Load(getenv func(string) string) (Config, error) {
	r := reader{getenv: getenv}
	c := Config{
		DatabaseURL:        getenv("DATABASE_URL"),
		ReadDatabaseURL:    getenv("P4W_READ_DATABASE_URL"),
		HTTPAddr:           r.str("P4W_HTTP_ADDR", ":8080"),
		LogLevel:           r.level("P4W_LOG_LEVEL", slog.LevelInfo),
		MigrateOnStart:     r.boolean("P4W_MIGRATE_ON_START", true),
		DBMaxConns:         r.integer("P4W_DB_MAX_CONNS", 20),
		DBConnectTimeout:   r.duration("P4W_DB_CONNECT_TIMEOUT", 5*time.Second),
		DBAcquireTimeout:   r.duration("P4W_DB_ACQUIRE_TIMEOUT", 3*time.Second),
		DBStatementTimeout: r.duration("P4W_DB_STATEMENT_TIMEOUT", 5*time.Second),
		RequestTimeout:     r.duration("P4W_REQUEST_TIMEOUT", 10*time.Second),
		CORSOrigins:        r.list("P4W_CORS_ORIGINS"),
		BodyLimitBytes:     int64(r.integer("P4W_BODY_LIMIT_BYTES", 1<<20)),
		ImportMaxBytes:     int64(r.integer("P4W_IMPORT_MAX_BYTES", 512<<20)),
		IdempotencyTTL:     r.duration("P4W_IDEMPOTENCY_TTL", 24*time.Hour),
		ShutdownTimeout:    r.duration("P4W_SHUTDOWN_TIMEOUT", 20*time.Second),
		DrainDelay:         r.delay("P4W_DRAIN_DELAY", 5*time.Second),
		DataDir:            r.str("P4W_DATA_DIR", ".data"),
		JWTIssuer:          r.str("P4W_JWT_ISSUER", "urn:p4w:dev"),
		JWTAudience:        r.str("P4W_JWT_AUDIENCE", "p4w-api"),
		JWTSigningKey:      getenv("P4W_JWT_SIGNING_KEY"),
		JWTSigningKeyFile:  getenv("P4W_JWT_SIGNING_KEY_FILE"),
		JWTVerifyKeyFiles:  r.list("P4W_JWT_VERIFY_KEY_FILES"),
		AccessTokenTTL:     r.duration("P4W_ACCESS_TOKEN_TTL", 15*time.Minute),
		RefreshTokenTTL:    r.duration("P4W_REFRESH_TOKEN_TTL", 30*24*time.Hour),
		OIDCIssuers:        getenv("P4W_OIDC_ISSUERS"),
		TokenRatePerMinute: r.integer("P4W_TOKEN_RATE_PER_MINUTE", 60),
		TrustProxyHeaders:  r.boolean("P4W_TRUST_PROXY_HEADERS", false),
		JobWorkers:         r.integer("P4W_JOB_WORKERS", 4),

		PublicRatePerMinute: r.integer("P4W_PUBLIC_RATE_PER_MINUTE", 300),

		WebhookTimeout:           r.duration("P4W_WEBHOOK_TIMEOUT", 10*time.Second),
		WebhookWorkers:           r.integer("P4W_WEBHOOK_WORKERS", 8),
		WebhookRetrySchedule:     r.durations("P4W_WEBHOOK_RETRY_SCHEDULE", "5s,30s,2m,10m,1h,3h,6h,12h"),
		WebhookAllowHTTPLoopback: r.boolean("P4W_WEBHOOK_ALLOW_HTTP_LOOPBACK", false),
		WebhookAllowCIDRs:        r.prefixes("P4W_WEBHOOK_ALLOW_CIDRS"),
	}
	if r.err != nil {
		return c, r.err
	}
	if c.DatabaseURL == "" {
		return c, fmt.Errorf("DATABASE_URL is not set (the README's `make run` provisions a local PostgreSQL)")
	}
	if strings.TrimSpace(c.JWTIssuer) == "" || strings.TrimSpace(c.JWTAudience) == "" {
		return c, fmt.Errorf("P4W_JWT_ISSUER and P4W_JWT_AUDIENCE must not be empty")
	}
	return c, nil
}

type reader struct {
	getenv func(string) string
	err    error
}

func (r *reader) str(name, def string) string {
	if v := r.getenv(name); v != "" {
		return v
	}
	return def
}

func (r *reader) fail(name, v, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("%s=%q: want %s", name, v, want)
	}
}

func (r *reader) integer(name string, def int) int {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		r.fail(name, v, "a positive whole number")
	}
	return n
}

func (r *reader) boolean(name string, def bool) bool {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, v, "true or false")
	}
	return b
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, v, "a positive duration such as 15m")
	}
	return d
}

// delay is a duration that may be zero: no wait.
func (r *reader) delay(name string, def time.Duration) time.Duration {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		r.fail(name, v, "a duration such as 5s, or 0s for none")
	}
	return d
}

func (r *reader) level(name string, def slog.Level) slog.Level {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		r.fail(name, v, "debug, info, warn or error")
	}
	return l
}

// durations reads a comma-separated list of positive durations.
func (r *reader) durations(name, def string) []time.Duration {
	v := r.getenv(name)
	if v == "" {
		v = def
	}
	var out []time.Duration
	for _, s := range strings.Split(v, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil || d <= 0 {
			r.fail(name, v, "comma-separated positive durations such as 5s,30s,2m")
			return nil
		}
		out = append(out, d)
	}
	return out
}

// prefixes reads a comma-separated list of CIDR ranges.
func (r *reader) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range r.list(name) {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			r.fail(name, s, "CIDR ranges such as 10.20.0.0/16")
			return nil
		}
		out = append(out, p.Masked())
	}
	return out
}

func (r *reader) list(name string) []string {
	var out []string
	for _, s := range strings.Split(r.getenv(name), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
