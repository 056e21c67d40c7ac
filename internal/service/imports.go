package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/p4w-nhs/p4w/internal/auth"
	"github.com/p4w-nhs/p4w/internal/domain"
	"github.com/p4w-nhs/p4w/internal/tabular"
)

// ImportQueue enqueues the background run of an import job in the context's transaction.
type ImportQueue interface {
	EnqueueImport(ctx context.Context, job domain.ImportJob) error
}

// ImportStore keeps import jobs, their files and refused rows (postgres.Imports).
type ImportStore interface {
	Create(ctx context.Context, j *domain.ImportJob) error
	ByKey(ctx context.Context, subject, key string) (domain.ImportJob, error)
	Get(ctx context.Context, id uuid.UUID) (domain.ImportJob, error)
	StoreFile(ctx context.Context, job domain.ImportJob, body io.Reader) (int64, error)
	File(ctx context.Context, jobID uuid.UUID) io.Reader
	Start(ctx context.Context, id uuid.UUID) (domain.ImportJob, error)
	Restart(ctx context.Context, id uuid.UUID) error
	Advance(ctx context.Context, job domain.ImportJob, p domain.ImportProgress, errs []domain.ImportRowError) error
	Finish(ctx context.Context, id uuid.UUID, status string, failure *string) error
	Errors(ctx context.Context, id uuid.UUID, afterRow, afterOrd, limit int) ([]domain.ImportRowError, []int, error)
	ApplyParticipants(ctx context.Context, mode string, present map[string]bool, rows []domain.ImportParticipantRow, now time.Time) (domain.ImportResult, error)
	// Savepoint runs fn in a savepoint of ctx's transaction, rolling its writes back unless keep.
	Savepoint(ctx context.Context, keep bool, fn func(ctx context.Context) error) error
}

// ImportBatch is how many good rows each transaction of a per-row import writes.
const ImportBatch = 5000

// ImportRowBatch is the same for a kind written one row at a time (enrolments). It is smaller
// because a transaction that takes places in a cohort row after row makes a new version of that
// row each time, and every later read of it walks them all until the transaction ends.
const ImportRowBatch = 100

// Imports runs bulk imports: Submit stores the file and enqueues the job in one transaction;
// Run, called by the job's worker on any replica, imports it with the submitter's reach.
type Imports struct {
	ImportsDeps
}

// ImportsDeps are what Imports is built on.
type ImportsDeps struct {
	Tx            Transactor
	Store         ImportStore
	Queue         ImportQueue
	Accounts      *Accounts
	Organisations domain.OrganisationRepository
	// The kinds imported one row at a time write each row through their use cases.
	Enrolments *Enrolments
	Placements *Placements
	Outcomes   *Outcomes
	Mentors    *Mentors
	Matches    *Matches
	Contract   *tabular.Contract
	Audit      Auditor
	Now        Clock
}

// NewImports wires the import use cases.
func NewImports(d ImportsDeps) *Imports { return &Imports{d} }

// ImportRequest is what a caller asks of an import.
type ImportRequest struct {
	Kind, Mode     string
	Format         tabular.Format // CSV when empty
	DryRun, Atomic bool
	IdempotencyKey *string
}

// Submit stores body as the file of a new job and enqueues it, all in one transaction. With
// an idempotency key already used by the caller it returns that job and reads nothing.
// Errors: forbidden, invalid.
func (s *Imports) Submit(ctx context.Context, req ImportRequest, body io.Reader) (domain.ImportJob, bool, error) {
	caller, err := authorize(ctx, domain.ScopeImportsWrite)
	if err != nil {
		return domain.ImportJob{}, false, err
	}
	if importKind(req.Kind) == nil {
		return domain.ImportJob{}, false, domain.Invalid("kind", "must be one of "+strings.Join(tabular.KindNames(), ", "))
	}
	switch req.Format {
	case "":
		req.Format = tabular.CSV
	case tabular.CSV, tabular.NDJSON:
	default:
		return domain.ImportJob{}, false, domain.Invalid("format", "must be csv or ndjson")
	}
	if req.IdempotencyKey != nil {
		if j, err := s.Store.ByKey(ctx, caller.Subject, *req.IdempotencyKey); err == nil {
			return j, true, nil
		} else if domain.ErrorCode(err) != domain.CodeNotFound {
			return j, false, err
		}
	}
	job := domain.ImportJob{OrganisationID: caller.OrganisationID, Kind: req.Kind, Format: string(req.Format), Mode: req.Mode, DryRun: req.DryRun,
		Atomic: req.Atomic, SubmittedBy: caller.Subject, Scopes: caller.Scopes, IdempotencyKey: req.IdempotencyKey}
	if job.Scopes == nil {
		job.Scopes = []string{}
	}
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.Store.Create(ctx, &job); err != nil {
			return err
		}
		if _, err := s.Store.StoreFile(ctx, job, body); err != nil {
			return err
		}
		if err := s.Queue.EnqueueImport(ctx, job); err != nil {
			return err
		}
		return audit(ctx, s.Audit, "import.create", "import", job.ID, &job.OrganisationID, []string{"kind", "mode", "dry_run", "atomic"})
	})
	if domain.ErrorCode(err) == domain.CodeConflict && req.IdempotencyKey != nil {
		// The same key raced in from another request: that request's job is the answer.
		j, err := s.Store.ByKey(ctx, caller.Subject, *req.IdempotencyKey)
		return j, true, err
	}
	if err != nil {
		return domain.ImportJob{}, false, err
	}
	job, err = s.Store.Get(ctx, job.ID)
	return job, false, err
}

// Get returns a job within reach. Errors: not_found.
func (s *Imports) Get(ctx context.Context, id uuid.UUID) (domain.ImportJob, error) {
	return read(ctx, domain.ScopeImportsWrite, func(ctx context.Context) (domain.ImportJob, error) { return s.Store.Get(ctx, id) })
}

// ErrorsCursor is where a page of a job's errors starts.
type ErrorsCursor struct{ Row, Ord int }

// Errors returns up to limit of a job's errors after cursor, and the next cursor (nil at the
// end). Errors: not_found (a job out of reach included).
func (s *Imports) Errors(ctx context.Context, id uuid.UUID, after ErrorsCursor, limit int) ([]domain.ImportRowError, *ErrorsCursor, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, nil, err
	}
	errs, ords, err := s.Store.Errors(ctx, id, after.Row, after.Ord, limit+1)
	if err != nil || len(errs) <= limit {
		return errs, nil, err
	}
	return errs[:limit], &ErrorsCursor{Row: errs[limit-1].Row, Ord: ords[limit-1]}, nil
}

// Run imports a job's file, for the job's worker. It acts as the submitter, resolved again
// now: a job whose submitter was disabled or revoked, or lost the scopes it needs, fails. It
// returns an error only when the job should be retried (the database failed); a job that
// cannot succeed is finished failed and Run returns nil.
func (s *Imports) Run(ctx context.Context, jobID, org uuid.UUID, subject string, scopes []string) error {
	// Enough reach to record the job's end, and nothing else: its own organisation.
	own := domain.WithPrincipal(ctx, domain.Principal{Subject: subject, OrganisationID: org, Reach: []uuid.UUID{org}})
	fail := func(msg string) error {
		return s.Store.Finish(own, jobID, domain.ImportFailed, &msg)
	}
	p, err := s.Accounts.resolve(ctx, auth.AccessClaims{Scope: strings.Join(scopes, " "), RegisteredClaims: jwt.RegisteredClaims{Subject: subject}})
	if domain.ErrorCode(err) == domain.CodeUnauthenticated {
		return fail("the submitter's account is disabled or revoked")
	}
	if err != nil {
		return err
	}
	if !p.HasScope(domain.ScopeImportsWrite) || !p.HasScope(domain.ScopeParticipantsWrite) {
		return fail("the submitter no longer holds the imports:write and participants:write scopes")
	}
	ctx = domain.WithPrincipal(ctx, p)
	job, err := s.Store.Start(ctx, jobID)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return nil // finished already, or out of the submitter's reach now
	}
	if err != nil {
		return err
	}
	r := &importRun{s: s, job: job, caller: p, orgs: map[uuid.UUID]bool{}, seen: &fileKeys{}}
	if job.Atomic {
		// An atomic job writes in one transaction, so an attempt cut off wrote nothing: start over.
		if err := s.Store.Restart(ctx, job.ID); err != nil {
			return err
		}
		r.job.DoneRow, r.job.DoneBytes = 0, 0
		failed, err := r.pass(ctx, false)
		if err != nil || failed != "" {
			return r.end(ctx, failed, err)
		}
		if r.refused > 0 {
			return r.end(ctx, fmt.Sprintf("%d rows were refused: an atomic import writes nothing", r.refused), nil)
		}
		if job.DryRun {
			return r.end(ctx, "", nil)
		}
		if err := s.Store.Restart(ctx, job.ID); err != nil {
			return err
		}
		r.seen, r.job.DoneRow, r.job.DoneBytes = &fileKeys{}, 0, 0
		err = s.Tx.InTx(ctx, func(ctx context.Context) error {
			failed, err = r.pass(ctx, true)
			if err == nil && (failed != "" || r.refused > 0) {
				return errAtomicRefused
			}
			return err
		})
		if errors.Is(err, errAtomicRefused) {
			return r.end(ctx, "rows were refused as they were written: an atomic import writes nothing", nil)
		}
		return r.end(ctx, failed, err)
	}
	failed, err := r.pass(ctx, !job.DryRun)
	if err != nil && ctx.Err() != nil && r.committed > 0 {
		return fmt.Errorf("%w: %w", ErrCutOff, err)
	}
	return r.end(ctx, failed, err)
}

// ErrCutOff is Run's error when its context ended after it had committed some of the file:
// the job may carry on where it stopped, as a continuation rather than a new attempt.
var ErrCutOff = errors.New("import run cut off after committing progress")

var errAtomicRefused = errors.New("an atomic import refused a row")

// importKind is the kind of file an import of kind reads, or nil for none.
func importKind(kind string) *tabular.Kind { return tabular.Kinds[kind] }

// GiveUp ends a job its worker cannot bring to an end, as failed, so that it never stays
// running: cause is an error that trying again would not mend (a conflict the rows' checks
// did not foresee, a bug), or the last attempt's. The failure says what happened in words
// that hold no row's data; the log has the cause.
func (s *Imports) GiveUp(ctx context.Context, jobID, org uuid.UUID, subject string, cause error) error {
	own := domain.WithPrincipal(ctx, domain.Principal{Subject: subject, OrganisationID: org, Reach: []uuid.UUID{org}})
	why := "an unexpected error"
	var known *domain.Error
	switch {
	case domain.ErrorCode(cause) == domain.CodeUnavailable:
		why = "the database was unavailable at every attempt"
	case errors.As(cause, &known):
		why = known.Error() // the domain's own words, which name fields, never values
	}
	msg := "the import stopped: " + why + "; what earlier batches wrote stays, as counted, and nothing after it was written"
	return s.Store.Finish(own, jobID, domain.ImportFailed, &msg)
}

// importRun is one attempt at a job.
type importRun struct {
	s       *Imports
	job     domain.ImportJob
	caller  domain.Principal
	orgs    map[uuid.UUID]bool // organisations checked: true when a row may name it
	seen    *fileKeys          // the key of each record the file's rows name, and its first row
	refused int64
	// committed counts the batches this run committed (never for an atomic job, whose one
	// transaction is only committed at the end).
	committed int
}

func (r *importRun) end(ctx context.Context, failed string, err error) error {
	if err != nil {
		return err // retried
	}
	if failed != "" {
		return r.s.Store.Finish(ctx, r.job.ID, domain.ImportFailed, &failed)
	}
	if err := r.s.Tx.InTx(ctx, func(ctx context.Context) error {
		return audit(ctx, r.s.Audit, "import.finish", "import", r.job.ID, &r.job.OrganisationID, []string{"status"})
	}); err != nil {
		return err
	}
	return r.s.Store.Finish(ctx, r.job.ID, domain.ImportSucceeded, nil)
}

// countingReader counts what the tabular reader has taken from the file.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// pass reads the whole file once, writing (keep) or only checking its rows. Rows up to the
// job's DoneRow were done by an earlier attempt: they are read for the duplicate check only.
// It returns why the file failed as a whole ("" when it did not).
func (r *importRun) pass(ctx context.Context, keep bool) (string, error) {
	// The file is read alone, outside any batch's transaction (a context with the caller only).
	if ctxErr := ctx.Err(); ctxErr != nil {
		return "", ctxErr
	}
	file := &countingReader{r: r.s.Store.File(domain.WithPrincipal(context.Background(), r.caller), r.job.ID)}
	kind := importKind(r.job.Kind)
	rd, err := tabular.NewReader(file, tabular.Format(r.job.Format), kind)
	var rowErr *tabular.RowError
	if errors.As(err, &rowErr) {
		if err := r.flush(ctx, keep, nil, rowErrors(rowErr), 1, 0); err != nil {
			return "", err
		}
		return "the file's header cannot be read: see the errors of row 1", nil
	}
	if err != nil {
		return "", err
	}
	present := map[string]bool{}
	columns := rd.Columns()
	if r.job.Format == string(tabular.NDJSON) {
		// Each line is a whole record: a key it leaves out is null, as an empty cell is.
		columns = kind.Header()
	}
	for _, c := range columns {
		present[c] = true
	}
	var (
		batch   []domain.ImportParticipantRow
		rbatch  []rowWrite
		errs    []domain.ImportRowError
		read    int64
		lastRow int
	)
	now := r.s.Now()
	rowBatch := ImportRowBatch
	if !keep {
		// A pass that keeps nothing rolls each batch back, and with it the places its rows took:
		// large batches, so that a dry run counts a cohort's capacity over as many rows as it can.
		rowBatch = ImportBatch
	}
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.As(err, &rowErr) {
			return "", err
		}
		number := row.Number
		if rowErr != nil && err != nil {
			number = rowErr.Row
		}
		skip := number <= r.job.DoneRow
		if !skip {
			read++
			lastRow = number
		}
		var rec tabular.ParticipantRecord
		var w rowWrite
		if err == nil {
			err = r.s.Contract.Check(kind, row)
		}
		switch {
		case err != nil:
		case perRow(kind):
			if w, err = r.s.readRow(kind, row, present); err == nil {
				err = r.checkDuplicate(w)
			}
		default:
			if rec, err = tabular.ParticipantFromRow(row); err == nil {
				err = r.check(ctx, &rec, number, now)
			}
		}
		if skip {
			continue
		}
		switch {
		case errors.As(err, &rowErr):
			errs = append(errs, rowErrors(rowErr)...)
			r.refused++
		case err != nil:
			return "", err
		case perRow(kind):
			rbatch = append(rbatch, w)
		case rec.Erased:
			batch = append(batch, domain.ImportParticipantRow{Row: -number}) // left as it is: counted unchanged
		default:
			batch = append(batch, domain.ImportParticipantRow{Row: number, P: rec.Participant, Consent: rec.Consent})
		}
		if len(batch) >= ImportBatch || len(rbatch) >= rowBatch {
			if err := r.apply(ctx, keep, present, batch, rbatch, errs, lastRow, file.n, read, now); err != nil {
				return "", err
			}
			batch, rbatch, errs, read = batch[:0], rbatch[:0], nil, 0
		}
	}
	return "", r.apply(ctx, keep, present, batch, rbatch, errs, lastRow, file.n, read, now)
}

// check applies the rules of the single-record API to a row the contract accepted: the
// organisation within reach (one out of reach is refused exactly as one that does not exist),
// the domain's normalising and rules, and an external_ref given once in the file.
func (r *importRun) check(ctx context.Context, rec *tabular.ParticipantRecord, row int, now time.Time) error {
	p := &rec.Participant
	const notYours = "is not an organisation you may record participants for"
	ok, known := r.orgs[p.OrganisationID]
	if !known {
		ok = r.caller.CanSee(p.OrganisationID)
		if ok {
			org, err := r.s.Organisations.Get(ctx, p.OrganisationID)
			switch {
			case domain.ErrorCode(err) == domain.CodeNotFound:
				ok = false
			case err != nil:
				return err
			default:
				ok = org.Kind != domain.KindPartner
			}
		}
		r.orgs[p.OrganisationID] = ok
	}
	if !ok {
		return &tabular.RowError{Row: row, Errors: []tabular.CellError{{Column: "organisation_id", Message: notYours}}}
	}
	if rec.Erased {
		return nil
	}
	p.Normalise() // after the contract's pattern: a postcode has its inward code
	if err := p.Validate(now); err != nil {
		var de *domain.Error
		if errors.As(err, &de) {
			out := &tabular.RowError{Row: row}
			for _, f := range de.Fields {
				out.Errors = append(out.Errors, tabular.CellError{Column: f.Field, Message: f.Message})
			}
			return out
		}
		return err
	}
	key := p.ID.String()
	if p.ID == uuid.Nil && p.ExternalRef != nil {
		key = p.OrganisationID.String() + "\x00" + *p.ExternalRef
	} else if p.ID == uuid.Nil {
		return nil
	}
	h := keyHash(key)
	if first, dup := r.seen.first(h); dup && first != row {
		col := "external_ref"
		if p.ID != uuid.Nil {
			col = "id"
		}
		return &tabular.RowError{Row: row, Errors: []tabular.CellError{{Column: col, Message: fmt.Sprintf("names the same participant as row %d of this file", first)}}}
	}
	r.seen.add(h, row)
	return nil
}

// apply writes one batch and the job's progress in one transaction (the caller's, for an
// atomic job): a retried job resumes after the last batch committed.
func (r *importRun) apply(ctx context.Context, keep bool, present map[string]bool, batch []domain.ImportParticipantRow,
	rbatch []rowWrite, errs []domain.ImportRowError, lastRow int, doneBytes, read int64, now time.Time) error {
	err := r.s.Tx.InTx(ctx, func(ctx context.Context) error {
		var res domain.ImportResult
		rows := batch[:0:0]
		for _, b := range batch {
			if b.Row < 0 {
				res.Unchanged++
				continue
			}
			rows = append(rows, b)
		}
		if len(rows) > 0 {
			err := r.s.Store.Savepoint(ctx, keep, func(ctx context.Context) error {
				got, err := r.s.Store.ApplyParticipants(ctx, r.job.Mode, present, rows, now)
				res.Created, res.Updated, res.Unchanged, res.Refused = got.Created, got.Updated, res.Unchanged+got.Unchanged, got.Refused
				return err
			})
			if err != nil {
				return err
			}
		}
		if len(rbatch) > 0 {
			err := r.s.Store.Savepoint(ctx, keep, func(ctx context.Context) error {
				var err error
				res, err = r.applyRows(ctx, rbatch)
				return err
			})
			if err != nil {
				return err
			}
		}
		errs = append(errs, res.Refused...)
		r.refused += int64(len(res.Refused))
		failed := int64(len(res.Refused)) + countRows(errs[:len(errs)-len(res.Refused)])
		slices.SortStableFunc(errs, func(a, b domain.ImportRowError) int { return a.Row - b.Row })
		return r.s.Store.Advance(ctx, r.job, domain.ImportProgress{DoneRow: lastRow, DoneBytes: doneBytes, RowsRead: read,
			Created: res.Created, Updated: res.Updated, Unchanged: res.Unchanged, Failed: failed}, errs)
	})
	if err == nil && !r.job.Atomic {
		r.committed++
	}
	return err
}

func (r *importRun) flush(ctx context.Context, keep bool, _ []domain.ImportParticipantRow, errs []domain.ImportRowError, row int, n int64) error {
	return r.s.Tx.InTx(ctx, func(ctx context.Context) error {
		return r.s.Store.Advance(ctx, r.job, domain.ImportProgress{DoneRow: row, DoneBytes: n}, errs)
	})
}

func rowErrors(e *tabular.RowError) []domain.ImportRowError {
	out := make([]domain.ImportRowError, len(e.Errors))
	for i, c := range e.Errors {
		out[i] = domain.ImportRowError{Row: e.Row, Column: c.Column, Message: c.Message}
	}
	return out
}

// countRows counts the rows errs are about (a row may have several errors, in sequence).
func countRows(errs []domain.ImportRowError) int64 {
	var n int64
	for i, e := range errs {
		if i == 0 || errs[i-1].Row != e.Row {
			n++
		}
	}
	return n
}
