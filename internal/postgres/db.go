// Package postgres stores p4w's records in PostgreSQL. It maps its own storage models to
// domain types and knows nothing of HTTP.
//
// Every statement reaches PostgreSQL through one seam, the methods of DB in this file: Query,
// Exec, SendBatch and CopyFrom, and GORM (orm) for mapping and writing records. Each runs in
// the context's transaction when there is one (InTx), and otherwise alone on a pooled
// connection, scoped for row-level security in the same round trip. Either way the statement
// acts as p4w_api with the principal's reach, which the policies of every organisation's table
// enforce.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// DB is p4w's database: one pgx pool, which GORM uses too through database/sql.
type DB struct {
	pool           *pgxpool.Pool
	sql            *sql.DB // the same pool as database/sql, for GORM
	gorm           *gorm.DB
	acquireTimeout time.Duration
	health         health
	replica        atomic.Pointer[DB] // where long reads go (reader.go); nil: here
	fallbacks      atomic.Int64       // long reads the replica could not serve
	probed         atomic.Int64       // when a long read last tried the replica while it was down, in Unix ns
}

// PoolOptions sizes the connection pool and bounds every wait on PostgreSQL.
type PoolOptions struct {
	MaxOpen int // connections at most; pgx's default (4, or the number of CPUs) when 0
	// ConnectTimeout bounds opening a connection; AcquireTimeout, waiting for a pooled one;
	// StatementTimeout, each statement (PostgreSQL's statement_timeout, lock waits included).
	// Zero leaves a bound unset. Hitting one is CodeUnavailable.
	ConnectTimeout, AcquireTimeout, StatementTimeout time.Duration
	// Log hears when PostgreSQL stops answering and when it answers again: once per outage.
	Log *slog.Logger
	// Tracer sees every statement sent, GORM's included: tests count queries with it.
	Tracer pgx.QueryTracer
}

// Open connects to url and checks that the database answers.
func Open(ctx context.Context, url string, opts PoolOptions) (*DB, error) {
	db, err := open(ctx, url, opts)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := db.pool.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("reach database: %w", err)
	}
	return db, nil
}

// open builds the pool on url without connecting yet.
func open(ctx context.Context, url string, opts PoolOptions) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	if opts.MaxOpen > 0 {
		cfg.MaxConns = int32(opts.MaxOpen)
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	cfg.ConnConfig.Tracer = opts.Tracer
	if opts.ConnectTimeout > 0 {
		cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	}
	if opts.StatementTimeout > 0 {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(opts.StatementTimeout.Milliseconds(), 10)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	sqlDB := stdlib.OpenDBFromPool(pool) // keeps no idle connections of its own: pgx pools them
	g, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{
		TranslateError:         true,
		SkipDefaultTransaction: true, // InTx owns transactions
		DisableAutomaticPing:   true, // Open pings; OpenReplica must not fail on a replica down
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		sqlDB.Close()
		pool.Close()
		return nil, err
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &DB{pool: pool, sql: sqlDB, gorm: g, acquireTimeout: opts.AcquireTimeout, health: health{log: log}}, nil
}

// SQL returns the pool as database/sql, for tools and tests that work below the seam (and
// so below row-level security: they run as the owner).
func (db *DB) SQL() *sql.DB { return db.sql }

// JobPool returns the pool itself, for the job queue's own bookkeeping (internal/jobs builds
// River on it). What it runs acts as the connecting role, below row-level security: a job's
// work must go through the seam, as p4w_api with a principal, never through this pool.
func (db *DB) JobPool() *pgxpool.Pool { return db.pool }

// Ping checks that PostgreSQL answers, for readiness. Errors: unavailable.
func (db *DB) Ping(ctx context.Context) error { return db.health.check(db.pool.Ping(ctx)) }

// Stat reports the pool's state, for metrics.
func (db *DB) Stat() *pgxpool.Stat { return db.pool.Stat() }

// Close closes the pool.
func (db *DB) Close() error {
	err := db.sql.Close()
	db.pool.Close()
	return err
}

// scopeSQL sets what row-level security reads, for the rest of the transaction it runs in.
const scopeSQL = `SELECT set_config('role', 'p4w_api', true), set_config('p4w.reach', $1, true)`

// scopeReadSQL is scopeSQL for a long read (reader.go), which also makes its transaction read-only.
const scopeReadSQL = `SELECT set_config('role', 'p4w_api', true), set_config('p4w.reach', $1, true), ` +
	`set_config('transaction_read_only', 'on', true)`

// SendBatch sends the queued queries, whose callbacks read their results, with row-level
// security in force. In the context's transaction it is one pipeline there. Alone, the scope
// goes first in the same pipeline: PostgreSQL runs a pipeline as one implicit transaction
// that ends at its Sync, so the scope lasts exactly as long as the batch, and a read costs one
// round trip instead of three (BEGIN with the scope, the query, COMMIT). A connection left in
// any state but idle (a read cancelled half way, say) is closed, not pooled again.
func (db *DB) SendBatch(ctx context.Context, b *pgx.Batch) error {
	for _, q := range b.QueuedQueries {
		pgArgs(q.Arguments)
	}
	if t, ok := txFrom(ctx); ok {
		return t.pgx(func(c *pgx.Conn) error { return c.SendBatch(ctx, b).Close() })
	}
	db, long := db.routed(ctx)
	scoped := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(b.QueuedQueries)+1)}
	if long {
		scoped.Queue(scopeReadSQL, reachSetting(ctx))
	} else {
		scoped.Queue(scopeSQL, reachSetting(ctx))
	}
	scoped.QueuedQueries = append(scoped.QueuedQueries, b.QueuedQueries...)
	conn, err := acquire(ctx, db, db.pool.Acquire)
	if err != nil {
		return db.health.check(err)
	}
	defer conn.Release()
	return db.health.check(conn.SendBatch(ctx, scoped).Close())
}

// acquire takes a pooled connection, waiting at most the acquire timeout.
func acquire[C any](ctx context.Context, db *DB, take func(context.Context) (C, error)) (C, error) {
	if db.acquireTimeout <= 0 {
		return take(ctx)
	}
	ctx, cancel := context.WithTimeout(ctx, db.acquireTimeout)
	defer cancel()
	return take(ctx)
}

// pgArgs passes ids to pgx as its own UUID type, which it encodes directly, instead of
// through driver.Valuer as strings that it would parse again. It converts args in place.
func pgArgs(args []any) {
	for i, a := range args {
		switch v := a.(type) {
		case uuid.UUID:
			args[i] = pgtype.UUID{Bytes: v, Valid: true}
		case []uuid.UUID:
			list := make([]pgtype.UUID, len(v))
			for j, id := range v {
				list[j] = pgtype.UUID{Bytes: id, Valid: true}
			}
			args[i] = list
		}
	}
}

// Query runs sql and hands its rows to read.
func (db *DB) Query(ctx context.Context, read func(pgx.Rows) error, sql string, args ...any) error {
	b := &pgx.Batch{}
	b.Queue(sql, args...).Query(read)
	return db.SendBatch(ctx, b)
}

// Exec runs sql and returns its command tag (rows affected).
func (db *DB) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	var tag pgconn.CommandTag
	b := &pgx.Batch{}
	b.Queue(sql, args...).Exec(func(ct pgconn.CommandTag) error { tag = ct; return nil })
	return tag, db.SendBatch(ctx, b)
}

// CopyFrom loads rows into table with PostgreSQL's COPY, in the context's transaction or in
// one of its own: a bulk load is all or nothing.
func (db *DB) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, rows pgx.CopyFromSource) (n int64, err error) {
	err = db.InTx(ctx, func(ctx context.Context) error {
		t, _ := txFrom(ctx)
		return t.pgx(func(c *pgx.Conn) (err error) {
			n, err = c.CopyFrom(ctx, table, columns, rows)
			return err
		})
	})
	return n, err
}

// errNoTx is what GORM answers outside a transaction: GORM writes only inside InTx, where
// row-level security is in force.
var errNoTx = errors.New("postgres: GORM used outside a transaction")

// orm is GORM bound to the context's transaction, for mapping and writing records.
func (db *DB) orm(ctx context.Context) *gorm.DB {
	if t, ok := txFrom(ctx); ok {
		return t.gorm.WithContext(ctx)
	}
	q := db.gorm.WithContext(ctx)
	_ = q.AddError(errNoTx)
	return q
}

// translate turns storage errors into domain errors; what stays is an internal error.
func translate(err error, what string) error {
	if err == nil {
		return nil
	}
	if unavailable(err) {
		return errUnavailable
	}
	switch code := sqlState(err); {
	case errors.Is(err, gorm.ErrRecordNotFound), errors.Is(err, pgx.ErrNoRows):
		return domain.NotFound(what)
	case errors.Is(err, gorm.ErrDuplicatedKey), code == "23505": // unique_violation
		return domain.Errorf(domain.CodeConflict, "%s already exists", what)
	case errors.Is(err, gorm.ErrForeignKeyViolated), code == "23503": // foreign_key_violation
		return danglingReference(err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// danglingReference is the answer to a write whose foreign key names no record. The services
// check every reference within the caller's reach first and answer an invalid field, so this
// is a safety net only. It answers in the same shape, an invalid field, never a conflict: a
// conflict would tell a caller apart the id that exists nowhere from one of another trust,
// which a foreign key accepts. Nothing deletes a referenced record, so the violation is always
// of the referencing row, and every foreign key is one column, named <table>_<column>_fkey.
func danglingReference(err error) error {
	field := "id"
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.TableName != "" {
		field = strings.TrimSuffix(strings.TrimPrefix(pg.ConstraintName, pg.TableName+"_"), "_fkey")
	}
	return domain.Invalid(field, "is not a record within your reach")
}

// sqlState is PostgreSQL's error code of err, or "".
func sqlState(err error) string {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code
	}
	return ""
}

// NewID returns a time-ordered UUIDv7.
func NewID() uuid.UUID {
	return uuid.Must(uuid.NewV7())
}
