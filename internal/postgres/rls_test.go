package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/pgtest"
	"github.com/p4w-nhs/p4w/internal/postgres"
)

// rlsFixture makes two trusts with three participants each, written as the system.
func rlsFixture(t *testing.T, db *postgres.DB) (a, b uuid.UUID) {
	t.Helper()
	ctx := domain.WithPrincipal(context.Background(), domain.Principal{Subject: "system", AllOrganisations: true})
	orgs, people := postgres.NewOrganisations(db), postgres.NewParticipants(db)
	region := "london"
	err := db.InTx(ctx, func(ctx context.Context) error {
		var ids []uuid.UUID
		for _, name := range []string{"Trust A", "Trust B"} {
			o := domain.Organisation{Kind: domain.KindTrust, Name: name, Region: &region}
			if err := orgs.Create(ctx, &o); err != nil {
				return err
			}
			ids = append(ids, o.ID)
			for i := range 3 {
				ref := fmt.Sprintf("%s-%d", name, i)
				if err := people.Create(ctx, &domain.Participant{OrganisationID: o.ID, ExternalRef: &ref, BenefitStatus: "unknown"}); err != nil {
					return err
				}
			}
		}
		a, b = ids[0], ids[1]
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

// A query reaches PostgreSQL in one of two ways: inside InTx's transaction, or alone,
// pipelined with its scope (the stores' reads outside a transaction). readers runs a query
// each way; the tests below hold for both.
var readers = []struct {
	name string
	read func(ctx context.Context, db *postgres.DB, query string) ([]any, error)
}{
	{"in a transaction", func(ctx context.Context, db *postgres.DB, query string) (out []any, err error) {
		err = db.InTx(ctx, func(ctx context.Context) error {
			out, err = firstColumn(ctx, db, query)
			return err
		})
		return out, err
	}},
	{"alone", firstColumn},
}

// firstColumn runs query through the seam and returns the first column of every row.
func firstColumn(ctx context.Context, db *postgres.DB, query string) ([]any, error) {
	var out []any
	err := db.Query(ctx, func(rows pgx.Rows) error {
		for rows.Next() {
			values, err := rows.Values()
			if err != nil {
				return err
			}
			out = append(out, values[0])
		}
		return rows.Err()
	}, query)
	return out, err
}

// rawOwners reads participants' owners with a query that forgets every scope of the
// application: only row-level security stands between it and other trusts' rows.
func rawOwners(ctx context.Context, db *postgres.DB, read func(context.Context, *postgres.DB, string) ([]any, error)) ([]uuid.UUID, error) {
	values, err := read(ctx, db, "SELECT organisation_id::text FROM participants")
	owners := make([]uuid.UUID, len(values))
	for i, v := range values {
		owners[i] = uuid.MustParse(v.(string))
	}
	return owners, err
}

func trustPrincipal(org uuid.UUID) domain.Principal {
	return domain.Principal{Subject: "user:test", OrganisationID: org, Reach: []uuid.UUID{org}}
}

func TestRowLevelSecurityHidesOtherTrustsFromUnscopedQueries(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	a, b := rlsFixture(t, db)
	for _, r := range readers {
		t.Run(r.name, func(t *testing.T) {
			owners, err := rawOwners(domain.WithPrincipal(context.Background(), trustPrincipal(b)), db, r.read)
			if err != nil {
				t.Fatal(err)
			}
			if len(owners) != 3 {
				t.Errorf("trust B sees %d rows, want its own 3", len(owners))
			}
			for _, o := range owners {
				if o == a {
					t.Fatalf("trust B sees trust A's participant")
				}
			}
			// No principal: the setting is empty and the policies match nothing.
			if owners, err := rawOwners(context.Background(), db, r.read); err != nil || len(owners) != 0 {
				t.Errorf("with no principal %d rows are seen (err %v), want none", len(owners), err)
			}
			// The query runs as p4w_api, whatever DATABASE_URL names.
			who, err := r.read(context.Background(), db, "SELECT current_user::text")
			if err != nil {
				t.Fatal(err)
			}
			if len(who) != 1 || who[0] != "p4w_api" {
				t.Errorf("queries run as %v, want p4w_api", who)
			}
		})
	}
}

func TestRowLevelSecurityRefusesWritesForOtherTrusts(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	a, b := rlsFixture(t, db)
	ctx := domain.WithPrincipal(context.Background(), trustPrincipal(b))
	err := db.InTx(ctx, func(ctx context.Context) error {
		_, err := db.Exec(ctx, "INSERT INTO participants (id, organisation_id) VALUES ($1, $2)", uuid.New(), a)
		return err
	})
	if err == nil {
		t.Fatal("trust B's transaction wrote a participant for trust A")
	}
	for _, r := range []string{"in a transaction", "alone"} {
		exec := db.Exec
		if r == "in a transaction" {
			exec = func(ctx context.Context, sql string, args ...any) (tag pgconn.CommandTag, err error) {
				err = db.InTx(ctx, func(ctx context.Context) error {
					tag, err = db.Exec(ctx, sql, args...)
					return err
				})
				return tag, err
			}
		}
		tag, err := exec(ctx, "UPDATE participants SET given_name = 'x' WHERE organisation_id = $1", a)
		if err != nil {
			t.Fatal(err)
		}
		if tag.RowsAffected() != 0 {
			t.Errorf("%s: trust B updated %d of trust A's participants", r, tag.RowsAffected())
		}
	}
}

// Two trusts' requests interleave over a pool of two connections: the reach set for one
// transaction must never carry over to the next on the same connection.
func TestRowLevelSecurityDoesNotLeakAcrossPooledConnections(t *testing.T) {
	t.Parallel()
	url := pgtest.NewURL(t)
	db, err := postgres.Open(context.Background(), url, postgres.PoolOptions{MaxOpen: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a, b := rlsFixture(t, db)
	var wg sync.WaitGroup
	errs := make(chan error, 200*8) // room for every error a request can report, so none blocks
	for i := range 200 {
		org := []uuid.UUID{a, b}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := domain.WithPrincipal(context.Background(), trustPrincipal(org))
			if i%10 == 0 {
				ctx = context.Background() // and now and then a request with no principal at all
			}
			read := readers[(i/2)%len(readers)].read // both ways, interleaved
			if i%7 == 3 {
				// A query that fails after its scope was set must leave the connection as
				// clean as one that succeeds.
				if _, err := read(ctx, db, "SELECT (1/0)::text"); err == nil {
					errs <- fmt.Errorf("request %d: dividing by zero did not fail", i)
				}
			}
			owners, err := rawOwners(ctx, db, read)
			if err != nil {
				errs <- err
				return
			}
			want := 3
			if i%10 == 0 {
				want = 0
			}
			if len(owners) != want {
				errs <- fmt.Errorf("request %d saw %d rows, want %d", i, len(owners), want)
			}
			for _, o := range owners {
				if o != org {
					errs <- fmt.Errorf("request %d of %s saw a row of %s", i, org, o)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Outside any transaction the pool's sessions carry no reach and no role of ours.
	rows, err := db.SQL().Query("SELECT current_setting('p4w.reach', true), current_user = 'p4w_api'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var reach *string
		var isAPI bool
		if err := rows.Scan(&reach, &isAPI); err != nil {
			t.Fatal(err)
		}
		if (reach != nil && *reach != "") || isAPI {
			t.Errorf("a pooled session kept the reach %v or the role (p4w_api: %v)", reach, isAPI)
		}
	}
}

// Bulk work goes through the same seam: rows are COPYed into a staging table and moved with
// one INSERT ... SELECT, in a transaction whose reach row-level security enforces on the
// real table. (PostgreSQL refuses COPY FROM into a table with row-level security itself.)
func TestBulkLoadThroughTheSeamKeepsTrustsApart(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	a, b := rlsFixture(t, db)
	ctx := domain.WithPrincipal(context.Background(), trustPrincipal(b))
	load := func(owner uuid.UUID, n int) (copied, inserted int64, err error) {
		err = db.InTx(ctx, func(ctx context.Context) error {
			if _, err := db.Exec(ctx, `CREATE TEMP TABLE staging (external_ref text, organisation_id uuid) ON COMMIT DROP`); err != nil {
				return err
			}
			rows := make([][]any, n)
			for i := range rows {
				rows[i] = []any{fmt.Sprintf("BULK-%s-%d", owner, i), owner}
			}
			if copied, err = db.CopyFrom(ctx, pgx.Identifier{"staging"}, []string{"external_ref", "organisation_id"}, pgx.CopyFromRows(rows)); err != nil {
				return err
			}
			tag, err := db.Exec(ctx, `INSERT INTO participants (id, organisation_id, external_ref)
				SELECT gen_random_uuid(), organisation_id, external_ref FROM staging`)
			inserted = tag.RowsAffected()
			return err
		})
		return copied, inserted, err
	}
	if copied, inserted, err := load(b, 250); err != nil || copied != 250 || inserted != 250 {
		t.Fatalf("trust B loading its own rows: copied %d, inserted %d, err %v; want 250, 250, nil", copied, inserted, err)
	}
	if _, _, err := load(a, 10); err == nil {
		t.Fatal("trust B bulk-loaded participants for trust A")
	}
	counts := map[uuid.UUID]int{}
	sys := domain.WithPrincipal(context.Background(), domain.Principal{Subject: "system", AllOrganisations: true})
	owners, err := rawOwners(sys, db, firstColumn)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range owners {
		counts[o]++
	}
	if counts[a] != 3 || counts[b] != 253 {
		t.Errorf("after the loads trust A has %d participants and trust B %d, want 3 and 253: the refused load left rows", counts[a], counts[b])
	}
}
