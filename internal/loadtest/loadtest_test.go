package loadtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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
	baselineRLS   string // the baseline scoped for row-level security, as p4w scopes its reads
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
	db, err := postgres.Open(ctx, url, postgres.PoolOptions{MaxOpen: poolSize})
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
		o, err := s.Organisations.Create(sys, domain.Organisation{Kind: domain.KindTrust, Name: name, Region: &region}, []string{"kind", "name", "region"})
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
	// Vacuumed and checkpointed now, so that neither autovacuum nor the checkpointer takes its
	// turn during the first run measured. CHECKPOINT needs a superuser; without one, skip it.
	if _, err := db.SQL().ExecContext(ctx, `VACUUM (ANALYZE) participants`); err != nil {
		return fixture{}, err
	}
	_, _ = db.SQL().ExecContext(ctx, `CHECKPOINT`)
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
// authentication or validation. With rls it scopes each read as p4w must for row-level
// security (the role and reach, pipelined with the query), which measures what that scope
// costs apart from everything else p4w does.
func baseline(pool *pgxpool.Pool, org uuid.UUID, rls bool) http.Handler {
	// The columns p4w reads for a participant, so that both serve the same query.
	const columns = `id, organisation_id, external_ref, given_name, family_name, date_of_birth, email, phone, postcode,
		benefit_status, referral_source, consent_processing, consent_processing_at, consent_hr_sharing,
		consent_hr_sharing_at, consent_case_study, consent_case_study_at, erased_at, created_at, updated_at, version`
	type row struct {
		ID                  uuid.UUID  `json:"id"`
		OrganisationID      uuid.UUID  `json:"organisation_id"`
		ExternalRef         *string    `json:"external_ref"`
		GivenName           *string    `json:"given_name"`
		FamilyName          *string    `json:"family_name"`
		DateOfBirth         *time.Time `json:"date_of_birth"`
		Email               *string    `json:"email"`
		Phone               *string    `json:"phone"`
		Postcode            *string    `json:"postcode"`
		BenefitStatus       string     `json:"benefit_status"`
		ReferralSource      *string    `json:"referral_source"`
		ConsentProcessing   bool       `json:"consent_processing"`
		ConsentProcessingAt *time.Time `json:"consent_processing_at"`
		ConsentHRSharing    bool       `json:"consent_hr_sharing"`
		ConsentHRSharingAt  *time.Time `json:"consent_hr_sharing_at"`
		ConsentCaseStudy    bool       `json:"consent_case_study"`
		ConsentCaseStudyAt  *time.Time `json:"consent_case_study_at"`
		ErasedAt            *time.Time `json:"erased_at"`
		CreatedAt           time.Time  `json:"created_at"`
		UpdatedAt           time.Time  `json:"updated_at"`
		Version             int64      `json:"version"`
	}
	scan := func(s interface{ Scan(...any) error }) (row, error) {
		var r row
		err := s.Scan(&r.ID, &r.OrganisationID, &r.ExternalRef, &r.GivenName, &r.FamilyName, &r.DateOfBirth, &r.Email,
			&r.Phone, &r.Postcode, &r.BenefitStatus, &r.ReferralSource, &r.ConsentProcessing, &r.ConsentProcessingAt,
			&r.ConsentHRSharing, &r.ConsentHRSharingAt, &r.ConsentCaseStudy, &r.ConsentCaseStudyAt, &r.ErasedAt,
			&r.CreatedAt, &r.UpdatedAt, &r.Version)
		return r, err
	}
	// collect appends every row to out.
	collect := func(out *[]row) func(pgx.Rows) error {
		return func(rows pgx.Rows) error {
			for rows.Next() {
				r, err := scan(rows)
				if err != nil {
					return err
				}
				*out = append(*out, r)
			}
			return rows.Err()
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/participants/{id}", func(w http.ResponseWriter, req *http.Request) {
		id, err := uuid.Parse(req.PathValue("id"))
		if err != nil {
			http.Error(w, "bad id", http.StatusBadRequest)
			return
		}
		var out []row
		err = read(req.Context(), pool, org, rls, collect(&out), `SELECT `+columns+` FROM participants WHERE id = $1 AND organisation_id = $2`, id, org)
		if err != nil || len(out) == 0 {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out[0])
	})
	mux.HandleFunc("GET /v1/participants", func(w http.ResponseWriter, req *http.Request) {
		var out []row
		err := read(req.Context(), pool, org, rls, collect(&out), `SELECT `+columns+` FROM participants WHERE organisation_id = $1 ORDER BY updated_at, id LIMIT 51`, org)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"data": out[:min(50, len(out))]})
	})
	return mux
}

// read runs one query on the pool. With rls it first sets the role and reach row-level
// security needs, sent with the query in one pipeline as p4w sends them.
func read(ctx context.Context, pool *pgxpool.Pool, org uuid.UUID, rls bool, scan func(pgx.Rows) error, query string, args ...any) error {
	if !rls {
		rows, err := pool.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		return scan(rows)
	}
	batch := &pgx.Batch{}
	batch.Queue(`SELECT set_config('role', 'p4w_api', true), set_config('p4w.reach', $1, true)`, org.String())
	batch.Queue(query, args...)
	results := pool.SendBatch(ctx, batch)
	defer results.Close()
	if _, err := results.Exec(); err != nil {
		return err
	}
	rows, err := results.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	return scan(rows)
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}

// variant is one server under load: its URL for each request, and the bearer token it wants.
type variant struct {
	name  string
	url   func(r *rand.Rand) string
	token string
}

// slice is how long one variant is loaded at a turn.
const slice = 500 * time.Millisecond

// compare loads the variants in turns, one slice each, for b.N rounds, so that whatever else
// the machine does meanwhile weighs on all of them alike (one after the other, minutes apart,
// runs of the same server here differ by 10% or more). It reports each variant's requests per
// second and p4w's as a percentage of the baseline's. ns/op is the time of one round.
func compare(b *testing.B, variants ...variant) {
	requests := make([]int64, len(variants))
	elapsed := make([]time.Duration, len(variants))
	goCPU := make([]time.Duration, len(variants))
	pgCPU := make([]time.Duration, len(variants))
	for range b.N {
		for i, v := range variants {
			goBefore, pgBefore := processCPU(), postgresCPU()
			n, d := load(b, v)
			requests[i] += n
			elapsed[i] += d
			goCPU[i] += processCPU() - goBefore
			pgCPU[i] += postgresCPU() - pgBefore
		}
	}
	rate := make(map[string]float64, len(variants))
	for i, v := range variants {
		rate[v.name] = float64(requests[i]) / elapsed[i].Seconds()
		b.ReportMetric(rate[v.name], v.name+"-req/s")
		// Where each request's CPU went: this process (the server and the clients alike) and
		// PostgreSQL, whose backends /proc shows when it runs on this machine.
		b.ReportMetric(float64(goCPU[i].Microseconds())/float64(requests[i]), v.name+"-go-µs/req")
		if pgCPU[i] > 0 {
			b.ReportMetric(float64(pgCPU[i].Microseconds())/float64(requests[i]), v.name+"-pg-µs/req")
		}
	}
	b.ReportMetric(100*rate["p4w"]/rate["baseline"], "p4w-%-of-baseline")
}

// processCPU is the CPU time this process has used.
func processCPU() time.Duration {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// postgresCPU is the CPU time used so far by the processes named postgres that /proc shows,
// or 0 where there is no /proc.
func postgresCPU() time.Duration {
	dirs, _ := os.ReadDir("/proc")
	var ticks int64
	for _, d := range dirs {
		stat, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ... utime stime: fields 14 and 15, counted after the comm.
		open, shut := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
		if open < 0 || shut < open || string(stat[open+1:shut]) != "postgres" {
			continue
		}
		fields := strings.Fields(string(stat[shut+1:]))
		if len(fields) < 13 {
			continue
		}
		utime, _ := strconv.ParseInt(fields[11], 10, 64)
		stime, _ := strconv.ParseInt(fields[12], 10, 64)
		ticks += utime + stime
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ is 100 on Linux
}

// load sends requests to v from parallelism×GOMAXPROCS goroutines for one slice.
func load(b *testing.B, v variant) (requests int64, elapsed time.Duration) {
	var done atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(slice)
	for range parallelism * runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(rand.Uint64(), 1))
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest(http.MethodGet, v.url(r), nil)
				if v.token != "" {
					req.Header.Set("Authorization", "Bearer "+v.token)
				}
				res, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Errorf("%s: status %d", v.name, res.StatusCode)
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	return done.Load(), time.Since(start)
}

func BenchmarkGetParticipant(b *testing.B) {
	f := setup(b)
	byID := func(base string) func(r *rand.Rand) string {
		return func(r *rand.Rand) string { return base + "/v1/participants/" + f.ids[r.IntN(len(f.ids))].String() }
	}
	b.Run("in-turns", func(b *testing.B) {
		compare(b, variant{"p4w", byID(f.p4w), f.token}, variant{"baseline", byID(f.baseline), ""},
			variant{"baseline-rls", byID(f.baselineRLS), ""})
	})
}

func BenchmarkListParticipants(b *testing.B) {
	f := setup(b)
	list := func(base string) func(*rand.Rand) string {
		return func(*rand.Rand) string { return base + "/v1/participants?limit=50" }
	}
	b.Run("in-turns", func(b *testing.B) {
		compare(b, variant{"p4w", list(f.p4w), f.token}, variant{"baseline", list(f.baseline), ""},
			variant{"baseline-rls", list(f.baselineRLS), ""})
	})
}
