package postgres_test

import (
	"context"
	"database/sql"
	"io/fs"
	"strings"
	"testing"

	"github.com/p4w-nhs/p4w/internal/pgtest"
	"github.com/p4w-nhs/p4w/internal/postgres"
)

// TestJobMigrationsConcurrently: replicas that start together migrate River's tables at the
// same moment. Each must succeed, and each migration be applied once. rivermigrate takes no
// lock of its own; without Migrate's, two create the same table and one fails.
func TestJobMigrationsConcurrently(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.EmptyURL(t)
	const n = 4
	errs := make(chan error, n)
	applied := make(chan int, n)
	start := make(chan struct{})
	for range n {
		go func() {
			<-start
			v, err := postgres.MigrateJobs(context.Background(), dbURL)
			applied <- len(v)
			errs <- err
		}()
	}
	close(start)
	total := 0
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("a concurrent migration failed: %v", err)
		}
		total += <-applied
	}
	var files []string
	err := fs.WalkDir(postgres.JobMigrations(), ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".up.sql") {
			files = append(files, path)
		}
		return err
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("River's migrations: %v %v", files, err)
	}
	if total != len(files) {
		t.Errorf("%d River migrations applied between them, want each once (%d)", total, len(files))
	}
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var versions int
	if err := db.QueryRow(`SELECT count(*) FROM river_migration`).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if versions != len(files) {
		t.Errorf("river_migration lists %d versions, want %d", versions, len(files))
	}
}
