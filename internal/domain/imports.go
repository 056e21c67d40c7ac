package domain

import (
	"time"

	"github.com/google/uuid"
)

// Import modes: what an import does with a row that names a stored record, and one that does not.
const (
	ImportCreate = "create" // insert; a row naming a stored record is refused
	ImportUpsert = "upsert" // insert or update
	ImportUpdate = "update" // update; a row naming no stored record is refused
)

// Import job statuses.
const (
	ImportQueued    = "queued"
	ImportRunning   = "running"
	ImportSucceeded = "succeeded"
	ImportFailed    = "failed"
)

// ImportJob is a bulk import of one file, run in the background with the reach of the
// principal who submitted it. It is a record of the submitter's organisation.
type ImportJob struct {
	ID             uuid.UUID
	OrganisationID uuid.UUID
	Kind           string
	Format         string // how the file is written: "csv" or "ndjson" (tabular.Format)
	Mode           string
	DryRun, Atomic bool
	Status         string
	SubmittedBy    string   // the principal's Subject
	Scopes         []string // an API client's token scopes at submission; a user's come from its role
	IdempotencyKey *string
	SizeBytes      int64
	// DoneRow is the number of the last row whose batch has committed; DoneBytes how much of
	// the file that batch had read.
	DoneRow                                       int
	DoneBytes                                     int64
	RowsRead, Created, Updated, Unchanged, Failed int64
	Failure                                       *string
	StartedAt, FinishedAt                         *time.Time
	CreatedAt, UpdatedAt                          time.Time
}

// Progress is the share of the file read, from 0 to 1.
func (j ImportJob) Progress() float64 {
	switch {
	case j.Status == ImportSucceeded:
		return 1
	case j.SizeBytes == 0:
		return 0
	}
	return min(float64(j.DoneBytes)/float64(j.SizeBytes), 1)
}

// ImportRowError is one thing wrong with a row an import refused.
type ImportRowError struct {
	Row     int
	Column  string
	Message string
}

// ImportProgress is what one batch adds to a job's counters, and where it ended in the file.
type ImportProgress struct {
	DoneRow                                       int
	DoneBytes                                     int64
	RowsRead, Created, Updated, Unchanged, Failed int64
}

// ImportParticipantRow is one checked row of a participants import, ready to write.
type ImportParticipantRow struct {
	Row     int
	P       Participant
	Consent ConsentChange
}

// ImportResult is what writing one batch did.
type ImportResult struct {
	Created, Updated, Unchanged int64
	Refused                     []ImportRowError
}
