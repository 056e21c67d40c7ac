package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver goose runs on
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the embedded SQL migrations, for goose and for test templates.
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrations, "migrations") // the directory is embedded: cannot fail
	return sub
}

// JobMigrations returns the SQL migrations of River, the job queue (internal/jobs), which
// Migrate applies after p4w's own: for test templates, which must change when they do.
func JobMigrations() fs.FS {
	return riverpgxv5.New(nil).GetMigrationFS(riverdriver.MigrationLineMain)
}

// Applied is what Migrate applied: p4w's migrations, then River's.
type Applied struct {
	Schema []*goose.MigrationResult
	Jobs   []rivermigrate.MigrateVersion
}

// Migrate applies every pending migration to the database at url: p4w's own, then those of
// River's tables (river_job and its companions), which the job queue needs. Replicas that
// start together may call it at once: each part runs under a lock of its own.
func Migrate(ctx context.Context, url string) (Applied, error) {
	var out Applied
	p, closeDB, err := provider(url)
	if err != nil {
		return out, err
	}
	defer closeDB()
	out.Schema, err = p.Up(ctx)
	if err != nil {
		return out, fmt.Errorf("migrate up: %w", err)
	}
	out.Jobs, err = migrateJobs(ctx, url)
	return out, err
}

// jobMigrationLock is the advisory lock key that serialises River's migrations: rivermigrate
// takes no lock itself, and two replicas creating the same table at once would fail one.
const jobMigrationLock = 4242017

// migrateJobs applies River's pending migrations, one transaction each, while holding
// jobMigrationLock on a connection of its own; a replica that waited finds them applied.
func migrateJobs(ctx context.Context, url string) ([]rivermigrate.MigrateVersion, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("migrate jobs: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx)) // closing the session releases the lock too
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, jobMigrationLock); err != nil {
		return nil, fmt.Errorf("migrate jobs: lock: %w", err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("migrate jobs: %w", err)
	}
	defer pool.Close()
	// Its log would go to standard output; Migrate's caller reports what was applied.
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("migrate jobs: %w", err)
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return nil, fmt.Errorf("migrate jobs: %w", err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, jobMigrationLock); err != nil {
		return nil, fmt.Errorf("migrate jobs: unlock: %w", err)
	}
	return res.Versions, nil
}

// MigrationStatus lists every migration and whether it is applied.
func MigrationStatus(ctx context.Context, url string) ([]*goose.MigrationStatus, error) {
	p, closeDB, err := provider(url)
	if err != nil {
		return nil, err
	}
	defer closeDB()
	return p.Status(ctx)
}

func provider(url string) (*goose.Provider, func(), error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, nil, fmt.Errorf("open database: %w", err)
	}
	// Replicas starting together take turns: a session lock serialises migrate up.
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, Migrations(), goose.WithSessionLocker(locker))
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, func() { db.Close() }, nil
}
