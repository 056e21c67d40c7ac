package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/postgres"
	"github.com/p4w-nhs/p4w/internal/service"
)

// ImportArgs is the background run of one import job. It names the job and who submitted it,
// never the file's content, which stays in import_chunks under row-level security.
type ImportArgs struct {
	JobID          uuid.UUID `json:"job_id"`
	OrganisationID uuid.UUID `json:"organisation_id"`
	Subject        string    `json:"subject"`
	Scopes         []string  `json:"scopes"`
	Atomic         bool      `json:"atomic,omitempty"`
}

// Kind names the job in river_job.kind.
func (ImportArgs) Kind() string { return "import" }

// InsertOpts: a failed attempt (the database down) is retried a few times; each attempt
// resumes after the last batch committed.
func (ImportArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

// Importer runs an import job as its submitter (service.Imports).
type Importer interface {
	Run(ctx context.Context, jobID, org uuid.UUID, subject string, scopes []string) error
	GiveUp(ctx context.Context, jobID, org uuid.UUID, subject string, cause error) error
}

type importWorker struct {
	river.WorkerDefaults[ImportArgs]
	imports Importer
	attempt time.Duration
}

// ImportAttempt is how long one run of an import job may last before it is cut off (Config).
// A job cut off carries on at once after its last committed batch, so an import of any size
// finishes; the limit is what lets River rescue the job of a replica that died mid-run without
// ever rescuing one still running (RescueStuckJobsAfter is longer).
const ImportAttempt = 15 * time.Minute

// Timeout is the run's time limit.
func (w *importWorker) Timeout(*river.Job[ImportArgs]) time.Duration { return w.attempt }

// Work runs the job.
//   - A run cut off, by this replica stopping or by its time limit, after committing a batch is
//     not the import's fault: it is snoozed, not failed, so it carries on after its last
//     committed batch (on this replica or another) without spending one of its attempts. Cut
//     off before committing any, it spends an attempt. An atomic import, which writes in one
//     transaction and so would start over each time, fails instead when its time is up.
//   - A failure the database may mend (it was unavailable) is retried, up to the job's attempts.
//   - Any other, or the last attempt's, ends the import as failed rather than leave it running
//     for ever.
func (w *importWorker) Work(ctx context.Context, j *river.Job[ImportArgs]) error {
	a := j.Args
	err := w.imports.Run(ctx, a.JobID, a.OrganisationID, a.Subject, a.Scopes)
	timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded)
	switch {
	case err == nil:
		return nil
	case timedOut && a.Atomic:
		err = domain.Errorf(domain.CodeConflict, "an atomic import must finish within %s: import the file without atomic, or as smaller files", w.attempt)
	case errors.Is(err, service.ErrCutOff):
		return river.JobSnooze(0)
	case ctx.Err() != nil && j.Attempt < j.MaxAttempts:
		return err // cut off before committing anything: an attempt spent, so a run that cannot
		// commit one batch within its time does not go round for ever
	case domain.ErrorCode(err) == domain.CodeUnavailable && j.Attempt < j.MaxAttempts:
		return err
	}
	// The run's context may be over (its time is up): the failure is written beyond it.
	done, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if gerr := w.imports.GiveUp(done, a.JobID, a.OrganisationID, a.Subject, err); gerr != nil {
		return errors.Join(err, gerr) // the import's row could not be written either: try again
	}
	return river.JobCancel(err) // River keeps the cause in the job's errors
}

// Queue enqueues import jobs in the seam's transaction. It only inserts: the Runner of each
// replica works them.
type Queue struct {
	db     *postgres.DB
	client *river.Client[pgx.Tx]
}

// NewQueue builds an insert-only River client on db's pool.
func NewQueue(db *postgres.DB) (*Queue, error) {
	client, err := river.NewClient(riverpgxv5.New(db.JobPool()), &river.Config{})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &Queue{db: db, client: client}, nil
}

// EnqueueImport inserts the job's run in ctx's transaction: it exists exactly when the job's
// row and file do.
func (q *Queue) EnqueueImport(ctx context.Context, job domain.ImportJob) error {
	return q.db.EnqueueInTx(ctx, func(tx pgx.Tx) error {
		_, err := q.client.InsertTx(ctx, tx, ImportArgs{JobID: job.ID, OrganisationID: job.OrganisationID,
			Subject: job.SubmittedBy, Scopes: job.Scopes, Atomic: job.Atomic}, nil)
		return err
	})
}
