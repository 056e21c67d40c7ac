package config

// Setting describes one environment variable Load reads, for `p4w help`. README.md's
// Configuration table says the same at more length; tests keep the three in step.
type Setting struct {
	Name    string
	Default string // as it would be written in the environment; empty: none
	Meaning string
}

// Settings lists every variable Load reads, in the order of README.md's table.
var Settings = []Setting{
	{"DATABASE_URL", "", "PostgreSQL URL (required)"},
	{"P4W_READ_DATABASE_URL", "", "a streaming replica for long reads; empty: the primary"},
	{"P4W_HTTP_ADDR", ":8080", "listen address"},
	{"P4W_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"P4W_MIGRATE_ON_START", "true", "run migrate up when serve starts"},
	{"P4W_DB_MAX_CONNS", "20", "connection pool size"},
	{"P4W_DB_CONNECT_TIMEOUT", "5s", "how long opening a database connection may take"},
	{"P4W_DB_ACQUIRE_TIMEOUT", "3s", "how long a request may wait for a pooled connection"},
	{"P4W_DB_STATEMENT_TIMEOUT", "5s", "PostgreSQL's statement_timeout, lock waits included"},
	{"P4W_REQUEST_TIMEOUT", "10s", "how long one request's work may take"},
	{"P4W_CORS_ORIGINS", "", "comma-separated browser origins allowed to call the API"},
	{"P4W_BODY_LIMIT_BYTES", "1048576", "larger request bodies answer 413"},
	{"P4W_IMPORT_MAX_BYTES", "536870912", "larger import files answer 413"},
	{"P4W_IDEMPOTENCY_TTL", "24h", "how long an Idempotency-Key is remembered"},
	{"P4W_DRAIN_DELAY", "5s", "on SIGTERM, how long requests are still served before the listener closes"},
	{"P4W_SHUTDOWN_TIMEOUT", "20s", "then how long requests in flight may finish"},
	{"P4W_JOB_WORKERS", "4", "background jobs this replica works at once"},
	{"P4W_DATA_DIR", ".data", "where the development signing key is kept when none is configured"},
	{"P4W_JWT_ISSUER", "urn:p4w:dev", "iss of access tokens"},
	{"P4W_JWT_AUDIENCE", "p4w-api", "aud of access tokens"},
	{"P4W_JWT_SIGNING_KEY", "", "Ed25519 private key, PKCS#8 PEM; or"},
	{"P4W_JWT_SIGNING_KEY_FILE", "", "a file holding it (neither: a development key in P4W_DATA_DIR)"},
	{"P4W_JWT_VERIFY_KEY_FILES", "", "comma-separated public keys of retired signing keys, still accepted"},
	{"P4W_ACCESS_TOKEN_TTL", "15m", "access token lifetime"},
	{"P4W_REFRESH_TOKEN_TTL", "720h", "how long an unused refresh token stays valid"},
	{"P4W_OIDC_ISSUERS", "", "identity providers whose tokens are exchanged for p4w's: JSON, or a file of it"},
	{"P4W_TOKEN_RATE_PER_MINUTE", "60", "token endpoint requests per client address and minute"},
	{"P4W_PUBLIC_RATE_PER_MINUTE", "300", "requests to the public endpoints (no token) per client address and minute"},
	{"P4W_TRUST_PROXY_HEADERS", "false", "take the client address from X-Forwarded-For"},
	{"P4W_WEBHOOK_TIMEOUT", "10s", "how long one webhook delivery attempt may take"},
	{"P4W_WEBHOOK_WORKERS", "8", "webhook subscriptions this replica delivers to at once"},
	{"P4W_WEBHOOK_RETRY_SCHEDULE", "5s,30s,2m,10m,1h,3h,6h,12h", "waits after each failed webhook attempt (jittered); then the message is given up"},
	{"P4W_WEBHOOK_ALLOW_HTTP_LOOPBACK", "false", "let webhooks go to http://127.0.0.1 and other loopback addresses (tests, a local receiver)"},
	{"P4W_WEBHOOK_ALLOW_CIDRS", "", "comma-separated private ranges webhook targets may be in"},
}
