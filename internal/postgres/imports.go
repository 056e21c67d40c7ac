package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// EnqueueInTx runs fn, the job queue's insert, on the context's transaction, so that a job is
// enqueued exactly when the records it works on commit. fn runs as the connecting role, which
// owns River's tables (as River's own bookkeeping does, JobPool); p4w_api and the principal's
// reach are back in force for whatever the transaction does next. Outside a transaction it fails.
func (db *DB) EnqueueInTx(ctx context.Context, fn func(pgx.Tx) error) error {
	t, ok := txFrom(ctx)
	if !ok {
		return errNoTx
	}
	return t.pgx(func(c *pgx.Conn) error {
		if _, err := c.Exec(ctx, "SET LOCAL ROLE NONE"); err != nil {
			return err
		}
		if err := fn(queueTx{c: c}); err != nil {
			return err
		}
		_, err := c.Exec(ctx, "SELECT set_config('role', 'p4w_api', true)")
		return err
	})
}

// queueTx is the seam's open transaction as River takes one: statements only. It cannot
// begin, commit or roll back, which stay InTx's.
type queueTx struct{ c *pgx.Conn }

var errQueueTx = errors.New("postgres: the job queue may not end or nest the seam's transaction")

func (queueTx) Begin(context.Context) (pgx.Tx, error) { return nil, errQueueTx }
func (queueTx) Commit(context.Context) error          { return errQueueTx }
func (queueTx) Rollback(context.Context) error        { return errQueueTx }
func (q queueTx) LargeObjects() pgx.LargeObjects      { return pgx.LargeObjects{} }
func (q queueTx) Conn() *pgx.Conn                     { return q.c }
func (q queueTx) CopyFrom(ctx context.Context, t pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	return q.c.CopyFrom(ctx, t, cols, src)
}
func (q queueTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return q.c.SendBatch(ctx, b)
}
func (q queueTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return q.c.Prepare(ctx, name, sql)
}
func (q queueTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return q.c.Exec(ctx, sql, args...)
}
func (q queueTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return q.c.Query(ctx, sql, args...)
}
func (q queueTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return q.c.QueryRow(ctx, sql, args...)
}

// Imports stores import jobs, their uploaded files and the rows they refused.
type Imports struct{ db *DB }

// NewImports returns the import repository.
func NewImports(db *DB) *Imports { return &Imports{db} }

const importColumns = `id, organisation_id, kind, format, mode, dry_run, atomic, status, submitted_by, scopes, idempotency_key,
	size_bytes, done_row, done_bytes, rows_read, created, updated, unchanged, failed, failure, started_at, finished_at,
	created_at, updated_at`

func scanImport(row pgx.Row) (domain.ImportJob, error) {
	var j domain.ImportJob
	err := row.Scan(&j.ID, &j.OrganisationID, &j.Kind, &j.Format, &j.Mode, &j.DryRun, &j.Atomic, &j.Status, &j.SubmittedBy, &j.Scopes,
		&j.IdempotencyKey, &j.SizeBytes, &j.DoneRow, &j.DoneBytes, &j.RowsRead, &j.Created, &j.Updated, &j.Unchanged,
		&j.Failed, &j.Failure, &j.StartedAt, &j.FinishedAt, &j.CreatedAt, &j.UpdatedAt)
	return j, err
}

// Create records a queued job; its id is set here.
func (r *Imports) Create(ctx context.Context, j *domain.ImportJob) error {
	j.ID = NewID()
	_, err := r.db.Exec(ctx, `INSERT INTO import_jobs (id, organisation_id, kind, format, mode, dry_run, atomic, submitted_by, scopes, idempotency_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		j.ID, j.OrganisationID, j.Kind, j.Format, j.Mode, j.DryRun, j.Atomic, j.SubmittedBy, j.Scopes, j.IdempotencyKey)
	return translate(err, "import")
}

// ByKey returns the job subject submitted with key. Errors: not_found.
func (r *Imports) ByKey(ctx context.Context, subject, key string) (domain.ImportJob, error) {
	return r.one(ctx, `SELECT `+importColumns+` FROM import_jobs WHERE submitted_by = $1 AND idempotency_key = $2`, subject, key)
}

// Get returns a job within reach. Errors: not_found.
func (r *Imports) Get(ctx context.Context, id uuid.UUID) (domain.ImportJob, error) {
	return r.one(ctx, `SELECT `+importColumns+` FROM import_jobs WHERE id = $1`, id)
}

func (r *Imports) one(ctx context.Context, sql string, args ...any) (j domain.ImportJob, err error) {
	found := false
	err = r.db.Query(ctx, func(rows pgx.Rows) error {
		for rows.Next() {
			if j, err = scanImport(rows); err != nil {
				return err
			}
			found = true
		}
		return rows.Err()
	}, sql, args...)
	if err == nil && !found {
		err = pgx.ErrNoRows
	}
	return j, translate(err, "import")
}

// ChunkSize is how much of an uploaded file each stored chunk holds.
const ChunkSize = 1 << 20

// StoreFile streams body into the job's chunks, in the context's transaction, reading at most
// limit bytes; it returns the size. Errors: too_large (as domain.CodeTooLarge) past limit.
func (r *Imports) StoreFile(ctx context.Context, job domain.ImportJob, body io.Reader) (int64, error) {
	buf := make([]byte, ChunkSize)
	var size int64
	for seq := 0; ; seq++ {
		n, err := io.ReadFull(body, buf)
		if n > 0 {
			if _, err := r.db.Exec(ctx, `INSERT INTO import_chunks (job_id, seq, organisation_id, data) VALUES ($1, $2, $3, $4)`,
				job.ID, seq, job.OrganisationID, buf[:n]); err != nil {
				return size, translate(err, "import")
			}
			size += int64(n)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return size, err
		}
	}
	_, err := r.db.Exec(ctx, `UPDATE import_jobs SET size_bytes = $2 WHERE id = $1`, job.ID, size)
	return size, translate(err, "import")
}

// File reads a job's stored file a chunk at a time, each read alone: ctx must carry no
// transaction, so that a batch's transaction does not hold the file's reads.
func (r *Imports) File(ctx context.Context, jobID uuid.UUID) io.Reader {
	return &chunkReader{ctx: ctx, db: r.db, job: jobID}
}

type chunkReader struct {
	ctx  context.Context
	db   *DB
	job  uuid.UUID
	seq  int
	data []byte
	done bool
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.data) == 0 {
		if c.done {
			return 0, io.EOF
		}
		found := false
		err := c.db.Query(c.ctx, func(rows pgx.Rows) error {
			for rows.Next() {
				found = true
				if err := rows.Scan(&c.data); err != nil {
					return err
				}
			}
			return rows.Err()
		}, `SELECT data FROM import_chunks WHERE job_id = $1 AND seq = $2`, c.job, c.seq)
		if err != nil {
			return 0, translate(err, "import file")
		}
		c.seq++
		c.done = !found
	}
	n := copy(p, c.data)
	c.data = c.data[n:]
	return n, nil
}

// Start marks a job running. It returns the job as stored.
func (r *Imports) Start(ctx context.Context, id uuid.UUID) (domain.ImportJob, error) {
	return r.one(ctx, `UPDATE import_jobs SET status = 'running', started_at = coalesce(started_at, clock_timestamp())
		WHERE id = $1 AND status IN ('queued', 'running') RETURNING `+importColumns, id)
}

// Restart forgets what an earlier attempt counted and refused: an atomic job starts over.
func (r *Imports) Restart(ctx context.Context, id uuid.UUID) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := r.db.Exec(ctx, `DELETE FROM import_errors WHERE job_id = $1`, id); err != nil {
			return err
		}
		_, err := r.db.Exec(ctx, `UPDATE import_jobs SET done_row = 0, done_bytes = 0, rows_read = 0, created = 0, updated = 0,
			unchanged = 0, failed = 0 WHERE id = $1`, id)
		return err
	})
}

// Advance adds a batch's counters and records its errors, in the context's transaction, so
// that they commit exactly with the batch's rows.
func (r *Imports) Advance(ctx context.Context, job domain.ImportJob, p domain.ImportProgress, errs []domain.ImportRowError) error {
	if len(errs) > 0 {
		rows, cols, msgs, ords := make([]int32, len(errs)), make([]string, len(errs)), make([]string, len(errs)), make([]int32, len(errs))
		for i, e := range errs {
			rows[i], cols[i], msgs[i] = int32(e.Row), e.Column, e.Message
			if i > 0 && errs[i-1].Row == e.Row {
				ords[i] = ords[i-1] + 1
			}
		}
		// PostgreSQL refuses COPY into a table under row-level security: one INSERT of arrays.
		if _, err := r.db.Exec(ctx, `INSERT INTO import_errors (job_id, organisation_id, row_number, ord, column_name, message)
			SELECT $1, $2, r, o, c, m FROM unnest($3::int[], $4::int[], $5::text[], $6::text[]) AS u(r, o, c, m)
			ON CONFLICT DO NOTHING`, job.ID, job.OrganisationID, rows, ords, cols, msgs); err != nil {
			return translate(err, "import")
		}
	}
	_, err := r.db.Exec(ctx, `UPDATE import_jobs SET done_row = $2, done_bytes = $3, rows_read = rows_read + $4,
		created = created + $5, updated = updated + $6, unchanged = unchanged + $7, failed = failed + $8 WHERE id = $1`,
		job.ID, p.DoneRow, p.DoneBytes, p.RowsRead, p.Created, p.Updated, p.Unchanged, p.Failed)
	return translate(err, "import")
}

// Finish ends a job with status and drops its stored file. An atomic job that failed wrote
// nothing, and says so: its created, updated and unchanged are zero.
func (r *Imports) Finish(ctx context.Context, id uuid.UUID, status string, failure *string) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := r.db.Exec(ctx, `DELETE FROM import_chunks WHERE job_id = $1`, id); err != nil {
			return err
		}
		_, err := r.db.Exec(ctx, `UPDATE import_jobs SET status = $2, failure = $3, finished_at = clock_timestamp(),
			done_bytes = size_bytes,
			created = CASE WHEN $2 = 'failed' AND atomic THEN 0 ELSE created END,
			updated = CASE WHEN $2 = 'failed' AND atomic THEN 0 ELSE updated END,
			unchanged = CASE WHEN $2 = 'failed' AND atomic THEN 0 ELSE unchanged END
			WHERE id = $1`, id, status, failure)
		return translate(err, "import")
	})
}

// Errors returns up to limit errors of a job after (row, ord), in row order.
func (r *Imports) Errors(ctx context.Context, id uuid.UUID, afterRow, afterOrd, limit int) ([]domain.ImportRowError, []int, error) {
	var out []domain.ImportRowError
	var ords []int
	err := r.db.Query(ctx, func(rows pgx.Rows) error {
		for rows.Next() {
			var e domain.ImportRowError
			var ord int
			if err := rows.Scan(&e.Row, &ord, &e.Column, &e.Message); err != nil {
				return err
			}
			out, ords = append(out, e), append(ords, ord)
		}
		return rows.Err()
	}, `SELECT row_number, ord, column_name, message FROM import_errors WHERE job_id = $1 AND (row_number, ord) > ($2, $3)
		ORDER BY row_number, ord LIMIT $4`, id, afterRow, afterOrd, limit)
	return out, ords, translate(err, "import")
}

// participantImportColumns are the participant columns an import writes, with the file
// column (the header name) that sets each.
var participantImportColumns = []string{"external_ref", "given_name", "family_name", "date_of_birth", "email", "phone",
	"postcode", "benefit_status", "referral_source"}

// ApplyParticipants writes a batch in the context's transaction: it COPYs the rows into a
// staging table, matches them with stored participants (by id when a row has one, otherwise by
// external_ref within its organisation), refuses what mode forbids, then inserts and updates
// set-based, with one audit event per record written. present names the file's columns: a
// column it lacks leaves the stored value as it is. A row equal to the stored record writes
// nothing and counts as unchanged.
func (r *Imports) ApplyParticipants(ctx context.Context, mode string, present map[string]bool, rows []domain.ImportParticipantRow, now time.Time) (domain.ImportResult, error) {
	var res domain.ImportResult
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := r.db.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS import_participants (
			row_number int, id uuid, new_id uuid, audit_id uuid, organisation_id uuid, external_ref text, given_name text,
			family_name text, date_of_birth date, email text, phone text, postcode text, benefit_status text,
			referral_source text, consent_processing boolean, consent_hr_sharing boolean, consent_case_study boolean,
			target uuid, target_org uuid, target_erased boolean) ON COMMIT DROP`); err != nil {
			return err
		}
		if _, err := r.db.Exec(ctx, `TRUNCATE import_participants`); err != nil {
			return err
		}
		src := make([][]any, len(rows))
		for i, row := range rows {
			p := row.P
			src[i] = []any{int32(row.Row), pgUUID(p.ID), pgUUID(NewID()), pgUUID(NewID()), pgUUID(p.OrganisationID),
				p.ExternalRef, p.GivenName, p.FamilyName, p.DateOfBirth, p.Email, p.Phone, p.Postcode, p.BenefitStatus,
				p.ReferralSource, row.Consent.Processing, row.Consent.HRSharing, row.Consent.CaseStudy}
		}
		if _, err := r.db.CopyFrom(ctx, pgx.Identifier{"import_participants"}, []string{"row_number", "id", "new_id", "audit_id",
			"organisation_id", "external_ref", "given_name", "family_name", "date_of_birth", "email", "phone", "postcode",
			"benefit_status", "referral_source", "consent_processing", "consent_hr_sharing", "consent_case_study"},
			pgx.CopyFromRows(src)); err != nil {
			return err
		}
		// Matching sees only participants within reach: another trust's id matches nothing.
		if _, err := r.db.Exec(ctx, `UPDATE import_participants s SET target = p.id, target_org = p.organisation_id,
			target_erased = p.erased_at IS NOT NULL FROM participants p WHERE s.id IS NOT NULL AND p.id = s.id`); err != nil {
			return err
		}
		if _, err := r.db.Exec(ctx, `UPDATE import_participants s SET target = p.id, target_org = p.organisation_id,
			target_erased = p.erased_at IS NOT NULL FROM participants p
			WHERE s.id IS NULL AND s.external_ref IS NOT NULL AND p.organisation_id = s.organisation_id AND p.external_ref = s.external_ref`); err != nil {
			return err
		}
		err := r.db.Query(ctx, func(rs pgx.Rows) error {
			for rs.Next() {
				var e domain.ImportRowError
				if err := rs.Scan(&e.Row, &e.Column, &e.Message); err != nil {
					return err
				}
				res.Refused = append(res.Refused, e)
			}
			return rs.Err()
		}, `WITH refused AS (
				SELECT row_number,
					CASE
					WHEN $1 = 'create' AND target IS NOT NULL AND id IS NOT NULL THEN 'id|names a participant that already exists; import in upsert or update mode to change it'
					WHEN $1 = 'create' AND target IS NOT NULL THEN 'external_ref|is already taken; import in upsert or update mode to change the participant'
					WHEN target IS NULL AND id IS NOT NULL THEN 'id|is not a participant within your reach'
					WHEN $1 = 'update' AND target IS NULL THEN 'external_ref|names no participant of the organisation within your reach'
					WHEN target IS NOT NULL AND target_org <> organisation_id THEN 'organisation_id|is not the organisation the participant is recorded for'
					END AS why
				FROM import_participants)
			DELETE FROM import_participants s USING refused f
			WHERE f.row_number = s.row_number AND f.why IS NOT NULL
			RETURNING s.row_number, split_part(f.why, '|', 1), split_part(f.why, '|', 2)`, mode)
		if err != nil {
			return err
		}
		staged := int64(len(rows) - len(res.Refused))
		fields := participantFields(present)
		actor, requestID := actorOf(ctx), domain.RequestIDFrom(ctx)
		stamp := func(c string) string {
			return fmt.Sprintf(`CASE WHEN s.%[1]s IS NOT NULL THEN $1::timestamptz END`, c)
		}
		tag, err := r.db.Exec(ctx, `WITH ins AS (
				INSERT INTO participants (id, organisation_id, external_ref, given_name, family_name, date_of_birth, email, phone,
					postcode, benefit_status, referral_source, consent_processing, consent_processing_at, consent_hr_sharing,
					consent_hr_sharing_at, consent_case_study, consent_case_study_at)
				SELECT s.new_id, s.organisation_id, s.external_ref, s.given_name, s.family_name, s.date_of_birth, s.email, s.phone,
					s.postcode, coalesce(nullif(s.benefit_status, ''), 'unknown'), s.referral_source,
					coalesce(s.consent_processing, false), `+stamp("consent_processing")+`,
					coalesce(s.consent_hr_sharing, false), `+stamp("consent_hr_sharing")+`,
					coalesce(s.consent_case_study, false), `+stamp("consent_case_study")+`
				FROM import_participants s WHERE s.target IS NULL
				RETURNING id, organisation_id)
			INSERT INTO audit_events (id, actor, organisation_id, action, resource_type, resource_id, fields, request_id)
			SELECT s.audit_id, $2, ins.organisation_id, 'participant.create', 'participant', ins.id::text, $3, $4
			FROM ins JOIN import_participants s ON s.new_id = ins.id`, now, actor, fields, requestID)
		if err != nil {
			return err
		}
		res.Created = tag.RowsAffected()
		var set, newVals, oldVals []string
		for _, c := range participantImportColumns {
			v := "p." + c
			if present[c] {
				v = "s." + c
				if c == "benefit_status" {
					v = "coalesce(nullif(s.benefit_status, ''), 'unknown')"
				}
			}
			set = append(set, c+" = "+v)
			newVals, oldVals = append(newVals, v), append(oldVals, "p."+c)
		}
		for _, c := range []string{"consent_processing", "consent_hr_sharing", "consent_case_study"} {
			// An empty cell leaves the consent as it is; a cell equal to it is no change.
			v := "coalesce(s." + c + ", p." + c + ")"
			set = append(set, c+" = "+v, fmt.Sprintf("%[1]s_at = CASE WHEN %[2]s IS DISTINCT FROM p.%[1]s THEN $1::timestamptz ELSE p.%[1]s_at END", c, v))
			newVals, oldVals = append(newVals, v), append(oldVals, "p."+c)
		}
		tag, err = r.db.Exec(ctx, `WITH upd AS (
				UPDATE participants p SET `+strings.Join(set, ", ")+`
				FROM import_participants s
				WHERE s.target = p.id AND NOT s.target_erased
					AND (`+strings.Join(newVals, ", ")+`) IS DISTINCT FROM (`+strings.Join(oldVals, ", ")+`)
				RETURNING p.id, p.organisation_id, s.audit_id)
			INSERT INTO audit_events (id, actor, organisation_id, action, resource_type, resource_id, fields, request_id)
			SELECT audit_id, $2, organisation_id, 'participant.update', 'participant', id::text, $3, $4 FROM upd`,
			now, actor, fields, requestID)
		if err != nil {
			return err
		}
		res.Updated = tag.RowsAffected()
		res.Unchanged = staged - res.Created - res.Updated
		return nil
	})
	if err != nil {
		return domain.ImportResult{}, translate(err, "participant")
	}
	return res, nil
}

// participantFields names, as the API does, the fields an import's columns write.
func participantFields(present map[string]bool) []string {
	var out []string
	consent := false
	for _, c := range append([]string{"organisation_id"}, participantImportColumns...) {
		if present[c] {
			out = append(out, c)
		}
	}
	for _, c := range []string{"consent_processing", "consent_hr_sharing", "consent_case_study"} {
		consent = consent || present[c]
	}
	if consent {
		out = append(out, "consent")
	}
	return out
}

func actorOf(ctx context.Context) string {
	if p, ok := domain.PrincipalFrom(ctx); ok {
		return p.Subject
	}
	return "system"
}

func pgUUID(id uuid.UUID) pgtype.UUID { return pgtype.UUID{Bytes: id, Valid: id != uuid.Nil} }

// Savepoint runs fn in a savepoint of the context's transaction and, when keep is false, rolls
// its writes back after: a dry run does the work and keeps none of it. When fn fails its
// writes are rolled back and the transaction stays usable: a refused row leaves nothing.
func (r *Imports) Savepoint(ctx context.Context, keep bool, fn func(ctx context.Context) error) error {
	t, ok := txFrom(ctx)
	if !ok {
		return errNoTx
	}
	exec := func(sql string) error {
		return t.pgx(func(c *pgx.Conn) error { _, err := c.Exec(ctx, sql); return err })
	}
	if err := exec("SAVEPOINT p4w_import"); err != nil {
		return err
	}
	if err := fn(ctx); err != nil {
		// Undone and forgotten, so that the transaction may go on (a refused row of a per-row
		// import) and an enclosing savepoint of the same name is the one named next.
		if rbErr := exec("ROLLBACK TO SAVEPOINT p4w_import; RELEASE SAVEPOINT p4w_import"); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		return err
	}
	if keep {
		return exec("RELEASE SAVEPOINT p4w_import")
	}
	return exec("ROLLBACK TO SAVEPOINT p4w_import; RELEASE SAVEPOINT p4w_import")
}
