package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

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

// rawOwners reads participants' owners with a query that forgets every scope of the
// application: only row-level security stands between it and other trusts' rows.
func rawOwners(ctx context.Context, db *postgres.DB) ([]uuid.UUID, error) {
	var owners []uuid.UUID
	err := db.InTx(ctx, func(ctx context.Context) error {
		rows, err := postgres.Raw(ctx, db, "SELECT organisation_id FROM participants")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id uuid.UUID
			if err := rows.Scan(&id); err != nil {
				return err
			}
			owners = append(owners, id)
		}
		return rows.Err()
	})
	return owners, err
}

func trustPrincipal(org uuid.UUID) domain.Principal {
	return domain.Principal{Subject: "user:test", OrganisationID: org, Reach: []uuid.UUID{org}}
}

func TestRowLevelSecurityHidesOtherTrustsFromUnscopedQueries(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	a, b := rlsFixture(t, db)

	owners, err := rawOwners(domain.WithPrincipal(context.Background(), trustPrincipal(b)), db)
	if err != nil {
		t.Fatal(err)
	}
	if len(owners) != 3 {
		t.Errorf("trust B's transaction sees %d rows, want its own 3", len(owners))
	}
	for _, o := range owners {
		if o == a {
			t.Fatalf("trust B's transaction sees trust A's participant")
		}
	}
	// No principal: the setting is empty and the policies match nothing.
	if owners, err := rawOwners(context.Background(), db); err != nil || len(owners) != 0 {
		t.Errorf("a transaction with no principal sees %d rows (err %v), want none", len(owners), err)
	}
	// The transaction runs as p4w_api, whatever DATABASE_URL names.
	err = db.InTx(context.Background(), func(ctx context.Context) error {
		var who string
		rows, err := postgres.Raw(ctx, db, "SELECT current_user")
		if err != nil {
			return err
		}
		defer rows.Close()
		rows.Next()
		if err := rows.Scan(&who); err != nil {
			return err
		}
		if who != "p4w_api" {
			t.Errorf("transactions run as %q, want p4w_api", who)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRowLevelSecurityRefusesWritesForOtherTrusts(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	a, b := rlsFixture(t, db)
	ctx := domain.WithPrincipal(context.Background(), trustPrincipal(b))
	err := db.InTx(ctx, func(ctx context.Context) error {
		rows, err := postgres.Raw(ctx, db, "INSERT INTO participants (id, organisation_id) VALUES ($1, $2)", uuid.New(), a)
		if err == nil {
			rows.Close()
		}
		return err
	})
	if err == nil {
		t.Fatal("trust B's transaction wrote a participant for trust A")
	}
	err = db.InTx(ctx, func(ctx context.Context) error {
		rows, err := postgres.Raw(ctx, db, "UPDATE participants SET given_name = 'x' WHERE organisation_id = $1 RETURNING id", a)
		if err != nil {
			return err
		}
		defer rows.Close()
		if rows.Next() {
			t.Error("trust B's transaction updated trust A's participant")
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Two trusts' requests interleave over a pool of two connections: the reach set for one
// transaction must never carry over to the next on the same connection.
func TestRowLevelSecurityDoesNotLeakAcrossPooledConnections(t *testing.T) {
	t.Parallel()
	url := pgtest.NewURL(t)
	db, err := postgres.Open(context.Background(), url, postgres.PoolOptions{MaxOpen: 2, MaxIdle: 2})
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
			owners, err := rawOwners(ctx, db)
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
