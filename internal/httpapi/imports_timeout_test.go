package httpapi_test

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/jobs"
	"github.com/p4w-nhs/p4w/internal/service"
)

// One run of an import job has a time limit, so that River can rescue the job of a replica
// that died without ever rescuing one still running. These tests give runs a few seconds and
// hold a job's second batch past them.

// holdSecondBatch makes every import's progress past its first batch wait on an advisory lock
// that the returned connection holds until release is called.
func holdSecondBatch(t *testing.T, env *apitest.Env) (release func()) {
	t.Helper()
	ctx := context.Background()
	hold, err := env.DB.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hold.Close() })
	for _, q := range []string{
		`CREATE FUNCTION test_hold_past_first_batch() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF OLD.done_row > 0 AND NEW.done_row > OLD.done_row THEN PERFORM pg_advisory_xact_lock_shared(4343); END IF;
			RETURN NEW;
		END $$`,
		`CREATE TRIGGER test_hold_past_first_batch BEFORE UPDATE ON import_jobs FOR EACH ROW EXECUTE FUNCTION test_hold_past_first_batch()`,
		`SELECT pg_advisory_lock(4343)`,
	} {
		if _, err := hold.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		if _, err := hold.ExecContext(ctx, `SELECT pg_advisory_unlock(4343)`); err != nil && err != sql.ErrConnDone {
			t.Fatal(err)
		}
	}
}

func startRunnerWithin(t *testing.T, env *apitest.Env, attempt time.Duration) {
	t.Helper()
	runner, err := jobs.New(env.DB, jobs.Config{Workers: 2, IdempotencyTTL: env.Config.IdempotencyTTL,
		Imports: env.Services.Imports, ImportAttempt: attempt})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Stop(ctx)
	})
}

// A run cut off by its time limit after committing a batch is snoozed (River counts snoozes
// in the job's metadata), not failed, and carries on after its last committed batch: the
// import finishes, every row once.
func TestImportOutlastingItsRunLimitCarriesOn(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	release := holdSecondBatch(t, env)
	const n = 2*service.ImportBatch + 500
	res := env.Do(t, http.MethodPost, "/v1/imports?kind=participants&mode=create", token, participantsCSV(trust.ID.String(), n, "LONG"), "Content-Type", "text/csv")
	apitest.WantStatus(t, res, http.StatusAccepted)
	var job api.ImportJob
	res.Decode(t, &job)
	// Each run has 15 s: the hold makes the first outlast it whatever the machine, and a run
	// after it has time for a batch of 5,000 rows under -race on a loaded CI machine (with 6 s,
	// a run there could commit nothing, spend an attempt and wait for River's backoff).
	startRunnerWithin(t, env, 15*time.Second)

	// Held past its limit, the run is cut off and snoozed (River counts snoozes in metadata).
	deadline := time.Now().Add(45 * time.Second)
	for env.MustQueryInt(t, `SELECT coalesce((metadata->>'snoozes')::int, 0) FROM river_job WHERE kind = 'import'`) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the run was not cut off at its limit: %+v", getJSON[api.ImportJob](t, env, "/v1/imports/"+job.Id.String(), token))
		}
		time.Sleep(50 * time.Millisecond)
	}
	release()

	done := waitImportWithin(t, env, token, job.Id.String(), 2*time.Minute)
	if done.Status != api.ImportJobStatusSucceeded {
		t.Fatalf("the job: %+v", done)
	}
	wantCounts(t, "the job cut off and carried on", done, n, 0, 0, 0)
	if got := env.MustQueryInt(t, `SELECT count(DISTINCT external_ref) FROM participants WHERE organisation_id = $1`, trust.ID); got != n {
		t.Errorf("%d participants, want %d", got, n)
	}
}

// An atomic import writes in one transaction, so a run cut off would start over for ever: it
// fails, saying why, and writes nothing.
func TestAtomicImportOutlastingItsRunLimitFails(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	release := holdSecondBatch(t, env)
	defer release()
	res := env.Do(t, http.MethodPost, "/v1/imports?kind=participants&mode=create&atomic=true", token,
		participantsCSV(trust.ID.String(), 2*service.ImportBatch+500, "ATOM"), "Content-Type", "text/csv")
	apitest.WantStatus(t, res, http.StatusAccepted)
	var job api.ImportJob
	res.Decode(t, &job)
	startRunnerWithin(t, env, 2*time.Second)

	done := waitImport(t, env, token, job.Id.String())
	if done.Status != api.ImportJobStatusFailed || done.Failure == nil || !strings.Contains(*done.Failure, "an atomic import must finish within 2s") {
		t.Fatalf("the atomic job held past its limit: %+v", done)
	}
	if got := env.MustQueryInt(t, `SELECT count(*) FROM participants WHERE organisation_id = $1`, trust.ID); got != 0 {
		t.Errorf("%d participants written by an atomic import that failed", got)
	}
}
