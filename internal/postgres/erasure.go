package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Erasure clears what a participant's records say about them, set-based: one UPDATE per table,
// however many records the person has, in the caller's transaction and reach.
type Erasure struct{ db *DB }

// NewErasure returns the erasure repository.
func NewErasure(db *DB) *Erasure { return &Erasure{db} }

var _ domain.RecordsEraser = (*Erasure)(nil)

// erasedFields names, as the API does, the fields erasure writes of each type of record: the
// fields of its audit event. Everything else (statuses, coded reasons, destinations, sectors, ILR
// codes, dates, hours, kinds, role areas, ids) is what reports count, and stays.
var erasedFields = map[string][]string{
	"enrolment":       {"withdrawal_reason", "eligibility_override_reason"},
	"placement":       {"host_department", "site", "supervisor_name", "end_reason"},
	"outcome":         {"employer", "role"},
	"mentoring_match": {"end_reason"},
}

// eraseRecordsSQL clears the free text of the participant $1's records, writing $2
// (domain.ErasedText) where a rule needs a value and null elsewhere, and returns the records it
// changed. %[1]s is the caller's reach over organisation_id, on top of row-level security. A
// record whose text is already cleared is left alone, so that a second erasure writes nothing.
// Stored replies go for every record of the person, changed or not: a reply is the record as
// it was created, and may hold text since removed from the record. Every CTE that writes runs
// whether the final SELECT reads it or not.
const eraseRecordsSQL = `WITH enrolment AS (
	UPDATE enrolments SET
		withdrawal_reason = CASE WHEN withdrawal_reason IS NOT NULL THEN $2::text END,
		eligibility_override_reason = CASE WHEN eligibility_override_reason IS NOT NULL THEN $2::text END
	WHERE participant_id = $1 AND %[1]s
		AND (withdrawal_reason <> $2::text OR eligibility_override_reason <> $2::text)
	RETURNING 'enrolment' AS type, id, organisation_id
), placement AS (
	UPDATE placements SET host_department = $2::text, site = NULL, supervisor_name = NULL,
		end_reason = CASE WHEN end_reason IS NOT NULL THEN $2::text END
	WHERE participant_id = $1 AND %[1]s
		AND (host_department <> $2::text OR site IS NOT NULL OR supervisor_name IS NOT NULL OR end_reason <> $2::text)
	RETURNING 'placement' AS type, id, organisation_id
), outcome AS (
	UPDATE outcomes SET employer = NULL, role = NULL
	WHERE participant_id = $1 AND %[1]s AND (employer IS NOT NULL OR role IS NOT NULL)
	RETURNING 'outcome' AS type, id, organisation_id
), mentoring_match AS (
	UPDATE mentoring_matches SET end_reason = $2::text
	WHERE participant_id = $1 AND %[1]s AND end_reason <> $2::text
	RETURNING 'mentoring_match' AS type, id, organisation_id
), forgotten AS (
	DELETE FROM idempotency_keys WHERE resource_id IN (
		SELECT id FROM enrolments WHERE participant_id = $1 AND %[1]s
		UNION ALL SELECT id FROM placements WHERE participant_id = $1 AND %[1]s
		UNION ALL SELECT id FROM outcomes WHERE participant_id = $1 AND %[1]s
		UNION ALL SELECT id FROM mentoring_matches WHERE participant_id = $1 AND %[1]s
		UNION ALL SELECT id FROM check_ins WHERE %[1]s
			AND match_id IN (SELECT id FROM mentoring_matches WHERE participant_id = $1 AND %[1]s)
		UNION ALL SELECT id FROM interviews WHERE participant_id = $1 AND %[1]s)
)
SELECT type, id, organisation_id FROM enrolment
UNION ALL SELECT type, id, organisation_id FROM placement
UNION ALL SELECT type, id, organisation_id FROM outcome
UNION ALL SELECT type, id, organisation_id FROM mentoring_match`

// auditErasuresSQL appends one audit event per record changed, all in one statement.
const auditErasuresSQL = `INSERT INTO audit_events (id, actor, organisation_id, action, resource_type, resource_id, fields, request_id)
SELECT e.id, $1, e.organisation_id, e.type || '.erase', e.type, e.resource_id::text, e.fields::jsonb, $2
FROM unnest($3::uuid[], $4::text[], $5::uuid[], $6::uuid[], $7::text[]) AS e(id, type, resource_id, organisation_id, fields)`

// EraseRecordsOf implements domain.RecordsEraser.
func (r *Erasure) EraseRecordsOf(ctx context.Context, participantID uuid.UUID, actor, requestID string) (int, error) {
	inReach, args, err := reachArgument(ctx, "organisation_id", 3)
	if err != nil {
		return 0, err
	}
	var types []string
	var records, orgs []uuid.UUID
	err = r.db.InTx(ctx, func(ctx context.Context) error {
		err := r.db.Query(ctx, func(rows pgx.Rows) error {
			for rows.Next() {
				var typ string
				var id, org pgtype.UUID
				if err := rows.Scan(&typ, &id, &org); err != nil {
					return err
				}
				records, orgs, types = append(records, uuid.UUID(id.Bytes)), append(orgs, uuid.UUID(org.Bytes)), append(types, typ)
			}
			return rows.Err()
		}, fmt.Sprintf(eraseRecordsSQL, inReach), append([]any{participantID, domain.ErasedText}, args...)...)
		if err != nil || len(records) == 0 {
			return err
		}
		ids, fields := make([]uuid.UUID, len(types)), make([]string, len(types))
		for i, t := range types {
			b, err := json.Marshal(erasedFields[t])
			if err != nil {
				return err
			}
			ids[i], fields[i] = NewID(), string(b)
		}
		_, err = r.db.Exec(ctx, auditErasuresSQL, actor, requestID, ids, types, records, orgs, fields)
		return err
	})
	return len(records), translate(err, "erasure")
}

// reachArgument renders the caller's reach over column as SQL whose one argument, if it has
// one, is $n: for a statement that uses the same reach in several places.
func reachArgument(ctx context.Context, column string, n int) (string, []any, error) {
	c := reach(ctx, column)
	switch {
	case c.sql == "":
		return "true", nil, nil
	case len(c.args) > 1 || strings.Count(c.sql, "?") != len(c.args):
		return "", nil, fmt.Errorf("erasure: a reach of %d arguments cannot be one parameter", len(c.args))
	}
	return strings.Replace(c.sql, "?", fmt.Sprintf("$%d", n), 1), c.args, nil
}
