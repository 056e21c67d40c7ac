// Package pgtest gives each test a fresh, migrated PostgreSQL database of its own, cloned from
// a template that is built once per set of migrations. Tests run in parallel and leave nothing.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/p4w-nhs/p4w/internal/postgres"
)

// AdminURL is the server to create test databases on: DATABASE_URL, which `make test`
// provisions when it is unset.
func AdminURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("DATABASE_URL")
	if u == "" {
		tb.Fatal("DATABASE_URL is not set: run the tests with `make test`, which provisions PostgreSQL")
	}
	return u
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// NewURL creates a fresh migrated database for tb, dropped when tb ends, and returns its URL.
func NewURL(tb testing.TB) string {
	tb.Helper()
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(AdminURL(tb)) })
	if templateErr != nil {
		tb.Fatalf("test database template: %v", templateErr)
	}
	return newDatabase(tb, "TEMPLATE "+templateName)
}

// EmptyURL creates a database with nothing in it, as a new installation's, for tests of
// migrating and starting from nothing; dropped when tb ends.
func EmptyURL(tb testing.TB) string {
	tb.Helper()
	return newDatabase(tb, "")
}

func newDatabase(tb testing.TB, options string) string {
	tb.Helper()
	admin := AdminURL(tb)
	name := "p4w_test_" + randomHex(8)
	db := mustAdmin(tb, admin)
	defer db.Close()
	if _, err := db.Exec(strings.TrimSpace("CREATE DATABASE " + name + " " + options)); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		db := mustAdmin(tb, admin)
		defer db.Close()
		if _, err := db.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			tb.Errorf("drop test database: %v", err)
		}
	})
	return withDatabase(tb, admin, name)
}

// NewDB opens a fresh migrated database for tb, closed and dropped when tb ends.
func NewDB(tb testing.TB) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), NewURL(tb), postgres.PoolOptions{MaxOpen: 10, Tracer: Tracer{}})
	if err != nil {
		tb.Fatalf("open test database: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// ensureTemplate builds the template database for the current migrations once, under an
// advisory lock so that test binaries running side by side build it only once between them.
func ensureTemplate(admin string) (string, error) {
	hash, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name := "p4w_template_" + hash[:16]
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return "", err
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(4242001)`); err != nil {
		return "", err
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock(4242001)`) //nolint:errcheck // released with the session anyway
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_building"
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, building)); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s`, building)); err != nil {
		return "", err
	}
	u, err := replaceDatabase(admin, building)
	if err != nil {
		return "", err
	}
	if _, err := postgres.Migrate(ctx, u); err != nil {
		return "", err
	}
	// Publish under the final name only once it is complete.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, name)); err != nil {
		return "", err
	}
	_, err = conn.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %s WITH IS_TEMPLATE true`, name))
	return name, err
}

// migrationsHash names the template by every migration Migrate applies, River's included, so
// that a new migration of either builds a new template.
func migrationsHash() (string, error) {
	h := sha256.New()
	for _, m := range []struct {
		prefix string
		fsys   fs.FS
	}{{"p4w/", postgres.Migrations()}, {"river/", postgres.JobMigrations()}} {
		err := fs.WalkDir(m.fsys, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(m.fsys, path)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s%s\x00%s\x00", m.prefix, path, b)
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func mustAdmin(tb testing.TB, admin string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("pgx", admin)
	if err != nil {
		tb.Fatalf("connect to PostgreSQL: %v", err)
	}
	return db
}

func withDatabase(tb testing.TB, admin, name string) string {
	tb.Helper()
	u, err := replaceDatabase(admin, name)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// replaceDatabase returns the URL u naming database name instead.
func replaceDatabase(u, name string) (string, error) {
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "postgres" && parsed.Scheme != "postgresql") {
		return "", fmt.Errorf("DATABASE_URL must be a postgres:// URL")
	}
	parsed.Path = "/" + name
	return parsed.String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}
