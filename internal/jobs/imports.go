package jobs

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/postgres"
)

// ImportArgs is the background run of one import job. It names the job and who submitted it,
// never the file's content, which stays in import_chunks under row-level security.
type ImportArgs struct {
	JobID          uuid.UUID `json:"job_id"`
	OrganisationID uuid.UUID `json:"organisation_id"`
	Subject        string    `json:"subject"`
	Scopes         []string  `json:"scopes"`
}

// Kind names the job in river_job.kind.
func (ImportArgs) Kind() string { return "import" }

// InsertOpts: a failed attempt (the database down, the replica stopped) is retried a few
// times; each attempt resumes after the last batch committed.
func (ImportArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

// Importer runs an import job as its submitter (service.Imports).
type Importer interface {
	Run(ctx context.Context, jobID, org uuid.UUID, subject string, scopes []string) error
}

type importWorker struct {
	river.WorkerDefaults[ImportArgs]
	imports Importer
}

func (w *importWorker) Work(ctx context.Context, j *river.Job[ImportArgs]) error {
	a := j.Args
	return w.imports.Run(ctx, a.JobID, a.OrganisationID, a.Subject, a.Scopes)
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
			Subject: job.SubmittedBy, Scopes: job.Scopes}, nil)
		return err
	})
}
