package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/pgtest"
	"github.com/p4w-nhs/p4w/internal/postgres"
)

// A long read with no replica runs on the primary as it would on a replica: read-only, and a
// transaction in it is one REPEATABLE READ snapshot, so that a report that writes, or that
// counts across queries without a snapshot, fails in development as in production.
// (internal/httpapi's TestLongReadsComeFromTheReadReplica runs them on a real standby.)
func TestALongReadIsReadOnlyOnThePrimaryToo(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	ctx := domain.WithPrincipal(context.Background(), domain.Principal{Subject: "system", AllOrganisations: true})
	settings := func(ctx context.Context) (isolation, readOnly string) {
		t.Helper()
		err := db.Query(ctx, func(rows pgx.Rows) error {
			rows.Next()
			return rows.Scan(&isolation, &readOnly)
		}, `SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')`)
		if err != nil {
			t.Fatal(err)
		}
		return isolation, readOnly
	}
	write := func(ctx context.Context) error {
		_, err := db.Exec(ctx, `UPDATE organisations SET name = name WHERE false`)
		return err
	}
	wantReadOnly := func(what string, err error) {
		t.Helper()
		var pg *pgconn.PgError
		if !errors.As(err, &pg) || pg.Code != "25006" { // read_only_sql_transaction
			t.Errorf("%s in a long read: %v, want a read-only transaction's refusal", what, err)
		}
	}

	if err := write(ctx); err != nil {
		t.Fatalf("a write outside a long read: %v", err)
	}
	if _, ro := settings(ctx); ro != "off" {
		t.Fatalf("outside a long read, transaction_read_only is %s", ro)
	}
	err := db.Read(ctx, func(ctx context.Context) error {
		if _, ro := settings(ctx); ro != "on" {
			t.Errorf("a statement of a long read runs with transaction_read_only %s", ro)
		}
		wantReadOnly("a write alone", write(ctx))
		wantReadOnly("a write in a transaction", db.InTx(ctx, write))
		return db.InTx(ctx, func(ctx context.Context) error {
			if iso, ro := settings(ctx); iso != "repeatable read" || ro != "on" {
				t.Errorf("a transaction of a long read is %s, read-only %s; want repeatable read, read-only on", iso, ro)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	// A transaction already open keeps its own settings: Read runs in it.
	err = db.InTx(ctx, func(ctx context.Context) error {
		return db.Read(ctx, func(ctx context.Context) error { return write(ctx) })
	})
	if err != nil {
		t.Errorf("a long read inside a write's transaction: %v", err)
	}
	if n := db.ReplicaFallbacks(); n != 0 {
		t.Errorf("with no replica, %d fallbacks counted", n)
	}
}

// A replica that does not answer sends each long read to the primary, once, and counts it;
// while it is known down, long reads go straight to the primary; a read the replica refuses for
// itself (a bad statement) is not retried. Opening a replica that is down does not fail.
func TestALongReadFallsBackToThePrimaryWhenTheReplicaIsDown(t *testing.T) {
	t.Parallel()
	url := pgtest.NewURL(t)
	ctx := domain.WithPrincipal(context.Background(), domain.Principal{Subject: "system", AllOrganisations: true})
	db, err := postgres.Open(ctx, url, postgres.PoolOptions{MaxOpen: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	down, err := postgres.OpenReplica(ctx, "postgres://postgres@/postgres?host=/nonexistent-p4w-replica&port=5432&sslmode=disable",
		postgres.PoolOptions{MaxOpen: 2, ConnectTimeout: time.Second, AcquireTimeout: time.Second})
	if err != nil {
		t.Fatalf("open a replica that is down: %v", err)
	}
	defer down.Close()
	db.ReadFrom(down)
	runs := 0
	var one int
	err = db.Read(ctx, func(ctx context.Context) error {
		runs++
		return db.Query(ctx, func(rows pgx.Rows) error { rows.Next(); return rows.Scan(&one) }, `SELECT 1`)
	})
	if err != nil || one != 1 || runs != 2 {
		t.Fatalf("a long read with the replica down: %v, read %d, in %d runs; want 1 from the primary on the second run", err, one, runs)
	}
	if n := db.ReplicaFallbacks(); n != 1 {
		t.Errorf("%d fallbacks counted, want 1", n)
	}
	// The replica known down, the next read goes straight to the primary.
	runs, one = 0, 0
	err = db.Read(ctx, func(ctx context.Context) error {
		runs++
		return db.Query(ctx, func(rows pgx.Rows) error { rows.Next(); return rows.Scan(&one) }, `SELECT 1`)
	})
	if err != nil || one != 1 || runs != 1 {
		t.Errorf("a long read just after the replica failed: %v, read %d, in %d runs; want 1 from the primary at once", err, one, runs)
	}
	if n := db.ReplicaFallbacks(); n != 2 {
		t.Errorf("%d fallbacks counted, want 2", n)
	}

	// A pool on the same database stands in for a replica that answers: what it refuses is the
	// read's own fault, which the primary would refuse too.
	answering, err := postgres.OpenReplica(ctx, url, postgres.PoolOptions{MaxOpen: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer answering.Close()
	db.ReadFrom(answering)
	runs = 0
	err = db.Read(ctx, func(ctx context.Context) error {
		runs++
		_, err := db.Exec(ctx, `SELECT * FROM no_such_table`)
		return err
	})
	if err == nil || runs != 1 {
		t.Errorf("a bad statement in a long read: %v after %d runs, want its error after one", err, runs)
	}
	if n := db.ReplicaFallbacks(); n != 2 {
		t.Errorf("%d fallbacks counted after a refusal, want still 2", n)
	}
}
