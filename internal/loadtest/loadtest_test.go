package loadtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/app"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/pgtest"
	"github.com/p4w-nhs/p4w/internal/postgres"
)

const (
	participants = 100_000
	poolSize     = 20
	parallelism  = 8 // goroutines per core sending requests
)

// fixture is one database of 100,000 participants in two trusts, served by p4w and by the
// baseline, built for one benchmark and dropped after it.
type fixture struct {
	p4w, baseline string
	baselineRLS   string // the baseline inside a transaction scoped for row-level security, as p4w runs
	token         string
	ids           []uuid.UUID // trust A's participants
}

func setup(b *testing.B) fixture {
	b.Helper()
	f, err := build(b)
	if err != nil {
		b.Fatal(err)
	}
	return f
}

func build(b *testing.B) (fixture, error) {
	ctx := context.Background()
	url := pgtest.NewURL(b)
	db, err := postgres.Open(ctx, url, postgres.PoolOptions{MaxOpen: poolSize, MaxIdle: poolSize})
	if err != nil {
		return fixture{}, err
	}
	cfg := apitest.Config(b, url)
	s, err := app.NewServices(cfg, db)
	if err != nil {
		return fixture{}, err
	}
	region := "north_west"
	sys := apitest.System()
	var trusts []domain.Organisation
	for _, name := range []string{"Trust A", "Trust B"} {
		o, err := s.Organisations.Create(sys, domain.Organisation{Kind: domain.KindTrust, Name: name, Region: &region})
		if err != nil {
			return fixture{}, err
		}
		trusts = append(trusts, o)
	}
	// Bulk load straight into the table: the benchmark measures reads, not 100k API writes.
	_, err = db.SQL().ExecContext(ctx, `
		INSERT INTO participants (id, organisation_id, external_ref, given_name, family_name, date_of_birth,
		                          email, postcode, benefit_status, referral_source, consent_processing, consent_processing_at)
		SELECT gen_random_uuid(), CASE WHEN i % 2 = 0 THEN $1::uuid ELSE $2::uuid END, 'REF-' || i,
		       'Given' || i, 'Family' || (i % 5000), date '1980-01-01' + (i % 10000),
		       'person' || i || '@example.org', 'L1 8JQ', 'universal_credit', 'jobcentre_plus', true, now()
		FROM generate_series(1, $3) AS i`, trusts[0].ID, trusts[1].ID, participants)
	if err != nil {
		return fixture{}, fmt.Errorf("load participants: %w", err)
	}
	if _, err := db.SQL().ExecContext(ctx, `ANALYZE participants`); err != nil {
		return fixture{}, err
	}
	rows, err := db.SQL().QueryContext(ctx, `SELECT id FROM participants WHERE organisation_id = $1 LIMIT 5000`, trusts[0].ID)
	if err != nil {
		return fixture{}, err
	}
	var ids []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return fixture{}, err
		}
		ids = append(ids, id)
	}
	rows.Close()

	handler, err := app.NewHandler(cfg, db, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		return fixture{}, err
	}
	p4w := httptest.NewServer(handler)
	b.Cleanup(p4w.Close)

	pool, err := pgxpool.New(ctx, url+"&pool_max_conns="+fmt.Sprint(poolSize))
	if err != nil {
		return fixture{}, err
	}
	b.Cleanup(pool.Close)
	base := httptest.NewServer(baseline(pool, trusts[0].ID, false))
	b.Cleanup(base.Close)
	baseRLS := httptest.NewServer(baseline(pool, trusts[0].ID, true))
	b.Cleanup(baseRLS.Close)

	env := &apitest.Env{URL: p4w.URL, Services: s, HTTP: http.DefaultClient}
	token := env.User(b, trusts[0].ID, domain.RoleCoordinator)
	return fixture{p4w: p4w.URL, baseline: base.URL, baselineRLS: baseRLS.URL, token: token, ids: ids}, nil
}

// baseline serves the same two reads with nothing but net/http, pgx and encoding/json: no
// authentication or validation. With rls it runs each read as p4w must for row-level
// security (BEGIN with the role and reach, the query, COMMIT), which measures what the
// required transaction costs apart from everything else p4w does.
func baseline(pool *pgxpool.Pool, org uuid.UUID, rls bool) http.Handler {
	const columns = `id, organisation_id, external_ref, given_name, family_name, date_of_birth, email, phone, postcode,
		benefit_status, referral_source, erased_at, created_at, updated_at, version`
	type row struct {
		ID             uuid.UUID  `json:"id"`
		OrganisationID uuid.UUID  `json:"organisation_id"`
		ExternalRef    *string    `json:"external_ref"`
		GivenName      *string    `json:"given_name"`
		FamilyName     *string    `json:"family_name"`
		DateOfBirth    *time.Time `json:"date_of_birth"`
		Email          *string    `json:"email"`
		Phone          *string    `json:"phone"`
		Postcode       *string    `json:"postcode"`
		BenefitStatus  string     `json:"benefit_status"`
		ReferralSource *string    `json:"referral_source"`
		ErasedAt       *time.Time `json:"erased_at"`
		CreatedAt      time.Time  `json:"created_at"`
		UpdatedAt      time.Time  `json:"updated_at"`
		Version        int64      `json:"version"`
	}
	scan := func(s interface{ Scan(...any) error }) (row, error) {
		var r row
		err := s.Scan(&r.ID, &r.OrganisationID, &r.ExternalRef, &r.GivenName, &r.FamilyName, &r.DateOfBirth, &r.Email,
			&r.Phone, &r.Postcode, &r.BenefitStatus, &r.ReferralSource, &r.ErasedAt, &r.CreatedAt, &r.UpdatedAt, &r.Version)
		return r, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/participants/{id}", func(w http.ResponseWriter, req *http.Request) {
		id, err := uuid.Parse(req.PathValue("id"))
		if err != nil {
			http.Error(w, "bad id", http.StatusBadRequest)
			return
		}
		var r row
		err = inTx(req.Context(), pool, org, rls, func(q querier) (err error) {
			r, err = scan(q.QueryRow(req.Context(), `SELECT `+columns+` FROM participants WHERE id = $1 AND organisation_id = $2`, id, org))
			return err
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(r)
	})
	mux.HandleFunc("GET /v1/participants", func(w http.ResponseWriter, req *http.Request) {
		var out []row
		err := inTx(req.Context(), pool, org, rls, func(q querier) error {
			rows, err := q.Query(req.Context(), `SELECT `+columns+` FROM participants WHERE organisation_id = $1 ORDER BY updated_at, id LIMIT 51`, org)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				r, err := scan(rows)
				if err != nil {
					return err
				}
				out = append(out, r)
			}
			return rows.Err()
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"data": out[:min(50, len(out))]})
	})
	return mux
}

// querier is what a read needs of a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// inTx runs fn on the pool, or, with rls, in a transaction scoped as p4w scopes its own.
func inTx(ctx context.Context, pool *pgxpool.Pool, org uuid.UUID, rls bool, fn func(querier) error) error {
	if !rls {
		return fn(pool)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "BEGIN; SELECT set_config('role', 'p4w_api', true), set_config('p4w.reach', '"+org.String()+"', true)"); err != nil {
		return err
	}
	if err := fn(conn); err != nil {
		_, _ = conn.Exec(ctx, "ROLLBACK")
		return err
	}
	_, err = conn.Exec(ctx, "COMMIT")
	return err
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}

// run sends requests from parallelism×GOMAXPROCS goroutines and reports requests per second.
func run(b *testing.B, url func(r *rand.Rand) string, token string) {
	b.Helper()
	b.SetParallelism(parallelism)
	b.ReportAllocs()
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(rand.Uint64(), 1))
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, url(r), nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

func BenchmarkGetParticipant(b *testing.B) {
	f := setup(b)
	byID := func(base string) func(r *rand.Rand) string {
		return func(r *rand.Rand) string { return base + "/v1/participants/" + f.ids[r.IntN(len(f.ids))].String() }
	}
	b.Run("p4w", func(b *testing.B) { run(b, byID(f.p4w), f.token) })
	b.Run("baseline", func(b *testing.B) { run(b, byID(f.baseline), "") })
	b.Run("baseline-rls-tx", func(b *testing.B) { run(b, byID(f.baselineRLS), "") })
}

func BenchmarkListParticipants(b *testing.B) {
	f := setup(b)
	list := func(base string) func(*rand.Rand) string {
		return func(*rand.Rand) string { return base + "/v1/participants?limit=50" }
	}
	b.Run("p4w", func(b *testing.B) { run(b, list(f.p4w), f.token) })
	b.Run("baseline", func(b *testing.B) { run(b, list(f.baseline), "") })
	b.Run("baseline-rls-tx", func(b *testing.B) { run(b, list(f.baselineRLS), "") })
}
