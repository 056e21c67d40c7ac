package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver goose runs on
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the embedded SQL migrations, for goose and for test templates.
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrations, "migrations") // the directory is embedded: cannot fail
	return sub
}

// Migrate applies every pending migration to the database at url.
func Migrate(ctx context.Context, url string) ([]*goose.MigrationResult, error) {
	p, closeDB, err := provider(url)
	if err != nil {
		return nil, err
	}
	defer closeDB()
	res, err := p.Up(ctx)
	if err != nil {
		return res, fmt.Errorf("migrate up: %w", err)
	}
	return res, nil
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
