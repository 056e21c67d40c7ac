package httpapi_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/apitest"
	"github.com/p4w-nhs/p4w/internal/app"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/jobs"
	"github.com/p4w-nhs/p4w/internal/postgres"
	"github.com/p4w-nhs/p4w/internal/service"
)

// startRunner starts a job runner working imports on env's database, as one replica does.
func startRunner(t *testing.T, env *apitest.Env, imports *service.Imports) *jobs.Runner {
	t.Helper()
	runner, err := jobs.New(env.DB, jobs.Config{Workers: 2, IdempotencyTTL: env.Config.IdempotencyTTL, Imports: imports})
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
	return runner
}

// A replica stopped hard in the middle of a job (its work cancelled with the second of three
// batches written but not committed) leaves the first batch and nothing of the second; a
// fresh replica resumes after the first: every row lands once, none twice, none lost.
func TestImportResumesAfterItsWorkerIsKilled(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	const n = 3*service.ImportBatch - 3000 // three batches, the last a short one
	ctx := context.Background()

	// The second batch's progress waits on a lock the test holds: the worker is stopped while
	// its transaction has written that batch's participants and not committed them.
	release := holdSecondBatch(t, env)

	res := env.Do(t, http.MethodPost, "/v1/imports?kind=participants&mode=create", token, participantsCSV(trust.ID.String(), n, "KILL"), "Content-Type", "text/csv")
	apitest.WantStatus(t, res, http.StatusAccepted)
	var job api.ImportJob
	res.Decode(t, &job)

	first := startRunner(t, env, env.Services.Imports)
	deadline := time.Now().Add(15 * time.Second)
	for env.MustQueryInt(t, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the job did not reach its second batch: %+v", getJSON[api.ImportJob](t, env, "/v1/imports/"+job.Id.String(), token))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Stopped as a replica whose shutdown deadline has passed: its running jobs are cancelled.
	stopped, cancel := context.WithCancel(ctx)
	cancel()
	_ = first.Stop(stopped)
	release()

	mid := getJSON[api.ImportJob](t, env, "/v1/imports/"+job.Id.String(), token)
	if mid.Status == api.ImportJobStatusSucceeded || mid.Status == api.ImportJobStatusFailed || mid.Created != service.ImportBatch {
		t.Fatalf("after the worker was killed the job is %s with %d created, want running or queued with the first batch's %d", mid.Status, mid.Created, service.ImportBatch)
	}
	if got := env.MustQueryInt(t, `SELECT count(*) FROM participants`); got != service.ImportBatch {
		t.Fatalf("%d participants stored after the kill, want the first batch's %d", got, service.ImportBatch)
	}

	startRunner(t, env, env.Services.Imports)
	done := waitImport(t, env, token, job.Id.String())
	if done.Status != api.ImportJobStatusSucceeded || done.RowsRead != n {
		t.Fatalf("the resumed job: %+v", done)
	}
	wantCounts(t, "the resumed job", done, n, 0, 0, 0)
	for what, q := range map[string]string{
		"participants":                       `SELECT count(*) FROM participants`,
		"distinct external_refs":             `SELECT count(DISTINCT external_ref) FROM participants`,
		"participant.create events":          `SELECT count(*) FROM audit_events WHERE action = 'participant.create'`,
		"participants with a creation event": `SELECT count(DISTINCT resource_id) FROM audit_events WHERE action = 'participant.create'`,
	} {
		if got := env.MustQueryInt(t, q); got != n {
			t.Errorf("%s: %d, want %d", what, got, n)
		}
	}
	if got := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'import.finish'`); got != 1 {
		t.Errorf("%d import.finish events, want 1", got)
	}
}

// Two replicas on one database, each with its own pool and job runner, share the queue:
// every job runs once (one import.finish each, counts exact), whichever replica takes it.
func TestImportJobsRunOnceAcrossTwoReplicas(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	trust := env.Organisation(t, domain.KindTrust, "Northgate")
	token := env.User(t, trust.ID, domain.RoleCoordinator)
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	db2, err := postgres.Open(ctx, env.DBURL, app.PoolOptions(env.Config, log))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db2.Close() })
	s2, err := app.NewServices(env.Config, db2)
	if err != nil {
		t.Fatal(err)
	}
	env2 := *env
	env2.DB = db2
	startRunner(t, env, env.Services.Imports)
	startRunner(t, &env2, s2.Imports)

	const jobsN, rows = 8, 400
	ids := make([]string, jobsN)
	for i := range ids {
		file := participantsCSV(trust.ID.String(), rows, fmt.Sprintf("R%d", i))
		res := env.Do(t, http.MethodPost, "/v1/imports?kind=participants&mode=create", token, file, "Content-Type", "text/csv")
		apitest.WantStatus(t, res, http.StatusAccepted)
		var job api.ImportJob
		res.Decode(t, &job)
		ids[i] = job.Id.String()
	}
	for _, id := range ids {
		job := waitImport(t, env, token, id)
		if job.Status != api.ImportJobStatusSucceeded || job.RowsRead != rows {
			t.Errorf("job %s: %+v", id, job)
		}
		wantCounts(t, "job "+id, job, rows, 0, 0, 0)
		if got := env.MustQueryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'import.finish' AND resource_id = $1`, id); got != 1 {
			t.Errorf("job %s: %d import.finish events, want 1", id, got)
		}
	}
	for what, q := range map[string]string{
		"participants":              `SELECT count(*) FROM participants`,
		"participant.create events": `SELECT count(*) FROM audit_events WHERE action = 'participant.create'`,
	} {
		if got := env.MustQueryInt(t, q); got != jobsN*rows {
			t.Errorf("%s: %d, want %d", what, got, jobsN*rows)
		}
	}
	// River records a run's completion a moment after the run returns.
	deadline := time.Now().Add(10 * time.Second)
	for env.MustQueryInt(t, `SELECT count(*) FROM river_job WHERE kind = 'import' AND state <> 'completed'`) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := env.MustQueryInt(t, `SELECT count(*) FROM river_job WHERE kind = 'import' AND state = 'completed' AND attempt = 1`); got != jobsN {
		t.Errorf("%d of %d import runs completed at their first attempt", got, jobsN)
	}
}
