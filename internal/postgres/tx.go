package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// tx is the transaction InTx puts in the context: one connection, as GORM and as pgx.
type tx struct {
	conn *sql.Conn
	gorm *gorm.DB
}

type txKey struct{}

func txFrom(ctx context.Context) (*tx, bool) {
	t, ok := ctx.Value(txKey{}).(*tx)
	return t, ok
}

// pgx runs fn on the transaction's connection as pgx sees it.
func (t *tx) pgx(fn func(*pgx.Conn) error) error {
	return t.conn.Raw(func(driverConn any) error { return fn(driverConn.(*stdlib.Conn).Conn()) })
}

// InTx runs fn in a transaction, or in the caller's when ctx already carries one. The
// transaction acts as p4w_api and is told the principal's reach, which row-level security
// enforces; both settings end with the transaction, never staying on the pooled session.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if _, ok := txFrom(ctx); ok {
		return fn(ctx)
	}
	db, long := db.routed(ctx)
	defer func() { err = db.health.check(err) }()
	conn, err := acquire(ctx, db, db.sql.Conn)
	if err != nil {
		return fmt.Errorf("take a connection: %w", err)
	}
	defer conn.Close()
	// BEGIN and the scope travel in one round trip: with no parameters the driver uses the
	// simple protocol, which takes several statements. The reach holds only UUIDs, commas or
	// "*" (reachSetting), so it is safe as a literal.
	role := "p4w_api"
	if isPublic(ctx) {
		role = "p4w_public" // no principal, and only the public rows and columns (migration 00019)
	}
	begin := "BEGIN; SELECT set_config('role', '" + role + "', true), set_config('p4w.reach', '" + reachSetting(ctx) + "', true)"
	if long { // a long read (reader.go): one snapshot, and no writes, as on a replica
		begin = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY" + strings.TrimPrefix(begin, "BEGIN")
	}
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
	g := db.gorm.Session(&gorm.Session{NewDB: true, Context: ctx})
	g.Statement.ConnPool = conn
	if err := fn(context.WithValue(ctx, txKey{}, &tx{conn: conn, gorm: g})); err != nil {
		return err
	}
	if _, err := conn.ExecContext(context.WithoutCancel(ctx), "COMMIT"); err != nil {
		discard(conn)
		return fmt.Errorf("commit: %w", err)
	}
	committed = true
	return nil
}

// discard makes database/sql close conn instead of pooling it: its transaction state is
// unknown. (pgx's pool would also refuse it back unless it is idle.)
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}

type publicKey struct{}

// asPublic marks ctx for a public read: its transaction acts as p4w_public, which sees only
// what anyone may see, whoever the caller is.
func asPublic(ctx context.Context) context.Context { return context.WithValue(ctx, publicKey{}, true) }

func isPublic(ctx context.Context) bool { v, _ := ctx.Value(publicKey{}).(bool); return v }

// reachSetting is the principal's reach as the row-level security policies read it: "*" for
// every organisation, a list of ids, or "" (nothing) when there is no principal.
func reachSetting(ctx context.Context) string {
	p, ok := domain.PrincipalFrom(ctx)
	switch {
	case !ok || isPublic(ctx):
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
