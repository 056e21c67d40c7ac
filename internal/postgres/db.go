// Package postgres stores p4w's records in PostgreSQL with GORM. It maps its own storage
// models to domain types and knows nothing of HTTP.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// DB is the connection pool and the unit of work: InTx runs a function in a transaction that
// every repository call made with its context joins.
type DB struct {
	gorm *gorm.DB
}

// PoolOptions sizes the connection pool.
type PoolOptions struct {
	MaxOpen int
	MaxIdle int
}

// Open connects to url and checks that the database answers.
func Open(ctx context.Context, url string, pool PoolOptions) (*DB, error) {
	g, err := gorm.Open(postgres.Open(url), &gorm.Config{
		TranslateError:         true,
		SkipDefaultTransaction: true, // InTx owns transactions
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	g.ClauseBuilders["LIMIT"] = literalLimit
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if pool.MaxOpen > 0 {
		sqlDB.SetMaxOpenConns(pool.MaxOpen)
	}
	if pool.MaxIdle > 0 {
		sqlDB.SetMaxIdleConns(pool.MaxIdle)
	}
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("reach database: %w", err)
	}
	return &DB{gorm: g}, nil
}

// literalLimit writes LIMIT and OFFSET as numbers in the SQL, not as parameters. Given
// "LIMIT $2", PostgreSQL's generic plan of a prepared statement must guess the row count;
// finding it far costlier than a plan made for the actual limit, PostgreSQL makes a custom
// plan on every execution, which doubled the database's work for a 50-row list. Limits are
// ints, so writing them into the SQL is safe.
func literalLimit(c clause.Clause, builder clause.Builder) {
	limit, ok := c.Expression.(clause.Limit)
	if !ok {
		c.Build(builder)
		return
	}
	if limit.Limit != nil && *limit.Limit >= 0 {
		builder.WriteString("LIMIT " + strconv.Itoa(*limit.Limit))
	}
	if limit.Offset > 0 {
		if limit.Limit != nil && *limit.Limit >= 0 {
			builder.WriteByte(' ')
		}
		builder.WriteString("OFFSET " + strconv.Itoa(limit.Offset))
	}
}

// SQL returns the underlying pool, for health checks and pool metrics.
func (db *DB) SQL() *sql.DB {
	s, _ := db.gorm.DB() // cannot fail once Open succeeded
	return s
}

// Close closes the pool.
func (db *DB) Close() error { return db.SQL().Close() }

type txKey struct{}

// InTx runs fn in a transaction, or in the caller's when ctx already carries one. The
// transaction acts as p4w_api and is told the principal's reach, which row-level security
// enforces; both settings end with the transaction, never staying on the pooled session.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if _, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return fn(ctx)
	}
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		return fmt.Errorf("take a connection: %w", err)
	}
	defer conn.Close()
	// BEGIN and the scope travel in one round trip: with no parameters the driver uses the
	// simple protocol, which takes several statements. The reach holds only UUIDs, commas or
	// "*" (reachSetting), so it is safe as a literal.
	begin := "BEGIN; SELECT set_config('role', 'p4w_api', true), set_config('p4w.reach', '" + reachSetting(ctx) + "', true)"
	if _, err := conn.ExecContext(ctx, begin); err != nil {
		discard(conn)
		return fmt.Errorf("begin: %w", err)
	}
	committed := false
	defer func() {
		if committed {
			return
		}
		// Roll back even if the request was cancelled: the connection goes back to the pool.
		if _, rbErr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rbErr != nil {
			discard(conn)
		}
	}()
	tx := db.gorm.Session(&gorm.Session{NewDB: true, Context: ctx})
	tx.Statement.ConnPool = conn
	if err := fn(context.WithValue(ctx, txKey{}, tx)); err != nil {
		return err
	}
	if _, err := conn.ExecContext(context.WithoutCancel(ctx), "COMMIT"); err != nil {
		discard(conn)
		return fmt.Errorf("commit: %w", err)
	}
	committed = true
	return nil
}

// discard makes database/sql close conn instead of pooling it: its transaction state is unknown.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}

// reachSetting is the principal's reach as the row-level security policies read it: "*" for
// every organisation, a list of ids, or "" (nothing) when there is no principal.
func reachSetting(ctx context.Context) string {
	p, ok := domain.PrincipalFrom(ctx)
	switch {
	case !ok:
		return ""
	case p.AllOrganisations:
		return "*"
	}
	ids := make([]string, len(p.Reach))
	for i, id := range p.Reach {
		ids[i] = id.String()
	}
	return strings.Join(ids, ",")
}

// conn is the handle every query starts from: the context's transaction, or the pool.
func (db *DB) conn(ctx context.Context) *gorm.DB {
	if tx, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return tx.WithContext(ctx)
	}
	return db.gorm.WithContext(ctx)
}

// reach is the one tenancy scope: every query of an organisation's records passes through
// it. column names the owning organisation. With no principal it matches nothing.
func reach(ctx context.Context, column string) func(*gorm.DB) *gorm.DB {
	return reachOf(ctx, column).scope
}

// reachOf is reach as a condition, for SQL that GORM does not build (byID).
func reachOf(ctx context.Context, column string) condition {
	p, ok := domain.PrincipalFrom(ctx)
	switch {
	case !ok:
		return condition{sql: "false"}
	case p.AllOrganisations:
		return condition{}
	case len(p.Reach) == 1:
		// One organisation, as for most principals: "= ?", so that an index on (organisation_id,
		// updated_at, id) hands a page over in order. With "= ANY(?)" PostgreSQL reads all the
		// organisation's rows and sorts them.
		return condition{sql: column + " = ?", args: []any{p.Reach[0]}}
	default:
		return condition{sql: column + " = ANY(?)", args: []any{ids(p.Reach)}}
	}
}

// condition is a WHERE condition with ? placeholders; the zero condition matches everything.
type condition struct {
	sql  string
	args []any
}

func (c condition) scope(q *gorm.DB) *gorm.DB {
	if c.sql == "" {
		return q
	}
	return q.Where(c.sql, c.args...)
}

// numbered writes the condition with pgx's placeholders, counting from $n.
func (c condition) numbered(n int) string {
	var b strings.Builder
	for _, r := range c.sql {
		if r == '?' {
			b.WriteString("$" + strconv.Itoa(n))
			n++
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ids is a list of ids that travels as one uuid[] value, not as a list of placeholders.
type ids []uuid.UUID

// Value writes the array in PostgreSQL's text form: {id,id}.
func (v ids) Value() (driver.Value, error) {
	s := make([]string, len(v))
	for i, id := range v {
		s[i] = id.String()
	}
	return "{" + strings.Join(s, ",") + "}", nil
}

// page applies updated_since, the cursor and the limit, in (updated_at, id) order. It asks for
// one row more than the limit to learn whether another page follows.
func page(table string, req domain.PageRequest) func(*gorm.DB) *gorm.DB {
	return func(q *gorm.DB) *gorm.DB {
		if req.UpdatedSince != nil {
			q = q.Where(table+".updated_at >= ?", *req.UpdatedSince)
		}
		if req.After != nil {
			q = q.Where("("+table+".updated_at, "+table+".id) > (?, ?)", req.After.UpdatedAt, req.After.ID)
		}
		return q.Order(table + ".updated_at, " + table + ".id").Limit(req.Limit + 1)
	}
}

// cut trims the extra row that page asked for and returns the position to resume after.
func cut[M any, T any](rows []M, limit int, position func(M) domain.Position, toDomain func(M) T) domain.Page[T] {
	var out domain.Page[T]
	if len(rows) > limit {
		rows = rows[:limit]
		p := position(rows[limit-1])
		out.Next = &p
	}
	out.Items = make([]T, len(rows))
	for i, r := range rows {
		out.Items[i] = toDomain(r)
	}
	return out
}

// translate turns storage errors into domain errors; what stays is an internal error.
func translate(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return domain.NotFound(what)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return domain.Errorf(domain.CodeConflict, "%s already exists", what)
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		return domain.Errorf(domain.CodeConflict, "%s refers to a record that does not exist", what)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// NewID returns a time-ordered UUIDv7.
func NewID() uuid.UUID {
	return uuid.Must(uuid.NewV7())
}

// likePrefix escapes s for a LIKE prefix match.
func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(s)) + "%"
}

// Raw runs a statement in the context's transaction, or on the pool. It is for tests and
// tools that must see what PostgreSQL itself enforces, below the repositories' scopes.
func Raw(ctx context.Context, db *DB, query string, args ...any) (*sql.Rows, error) {
	return db.conn(ctx).Raw(query, args...).Rows()
}
