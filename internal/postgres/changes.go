package postgres

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Changes reads the changes feed, the outbox change_events that a trigger on audit_events fills
// in each write's own transaction (migration 00020).
type Changes struct{ db *DB }

// NewChanges returns the changes feed's reader.
func NewChanges(db *DB) *Changes { return &Changes{db} }

// changesSQL reads a page of a batch of the feed (domain.ChangePosition), in one statement and
// so one snapshot, now: the changes of the transactions visible in the batch's snapshot b ($1,
// or now when a batch starts) and not in the snapshot seen ($2: null, none), after ($3, $4),
// in (txid, seq) order: of the resource types $5, the event types $6 (none: all), within the
// reach ($7: every organisation, else $8), and for a client acting for HR ($9) only the records
// of participants who agreed to sharing with HR, their tombstones whatever (so that a mirror
// learns to delete them), and participants themselves whatever, as their list gives them
// withheld. The LEFT JOIN answers the batch's snapshot, and whether this server sees all of the
// batch (usable), when no change follows.
//
// Every transaction visible in b had committed before now, so the batch is whole and its order
// fixed: a page of it can be read later, once b is past. A transaction still open at b is not
// visible in it, so it falls in a later batch: that is "never misses a change that committed
// late", and a long transaction holds back only its own changes. No change below xmin(seen)
// is unread, which bounds the index range. The reach condition ({reach}) is one of three texts
// (changesReach): one organisation's feed is an index range of (organisation_id, txid, seq),
// so a trust's page does not wade through another trust's million-row import.
const changesSQL = `WITH s AS (
	SELECT coalesce($1::text::pg_snapshot, pg_current_snapshot()) AS b, $2::text::pg_snapshot AS seen, pg_current_snapshot() AS now
), p AS (
	SELECT b, seen, pg_snapshot_xmax(b) <= pg_snapshot_xmax(now)
		AND NOT EXISTS (SELECT 1 FROM pg_snapshot_xip(now) AS x WHERE pg_visible_in_snapshot(x, b)) AS usable
	FROM s
)
SELECT p.b::text, p.usable, c.txid::text, c.seq, c.organisation_id, c.event_type, c.resource_type, c.resource_id, c.fields, c.at
FROM p LEFT JOIN LATERAL (
	SELECT e.txid, e.seq, e.organisation_id, e.event_type, e.resource_type, e.resource_id, e.fields, e.at
	FROM change_events e
	WHERE p.usable AND e.txid < pg_snapshot_xmax(p.b) AND pg_visible_in_snapshot(e.txid, p.b)
		AND e.txid >= coalesce(pg_snapshot_xmin(p.seen), '1'::xid8) AND (p.seen IS NULL OR NOT pg_visible_in_snapshot(e.txid, p.seen))
		AND (e.txid, e.seq) > ($3::text::xid8, $4::bigint)
		AND e.resource_type = ANY ($5::text[])
		AND (cardinality($6::text[]) = 0 OR e.event_type = ANY ($6::text[]))
		AND {reach}
		AND (NOT $9::boolean OR e.event_type LIKE '%.erased' OR e.event_type LIKE '%.deleted' OR {aboutConsenting})
	ORDER BY e.txid, e.seq
	LIMIT $10
) c ON true
ORDER BY c.txid, c.seq`

// aboutConsentingParticipant holds for a change event e of a record about a participant (an
// enrolment, a placement, an outcome...) when that participant consents to sharing with HR,
// and for every event of any other record. Changes a client acting for HR reads, and the
// webhooks an organisation's HR system receives, keep to it: a record about a participant
// without that consent is not announced at all.
const aboutConsentingParticipant = `CASE e.resource_type
	WHEN 'enrolment' THEN EXISTS (SELECT 1 FROM enrolments r JOIN participants p ON p.id = r.participant_id
		WHERE r.id = e.resource_id::uuid AND p.consent_hr_sharing)
	WHEN 'placement' THEN EXISTS (SELECT 1 FROM placements r JOIN participants p ON p.id = r.participant_id
		WHERE r.id = e.resource_id::uuid AND p.consent_hr_sharing)
	WHEN 'outcome' THEN EXISTS (SELECT 1 FROM outcomes r JOIN participants p ON p.id = r.participant_id
		WHERE r.id = e.resource_id::uuid AND p.consent_hr_sharing)
	WHEN 'mentoring_match' THEN EXISTS (SELECT 1 FROM mentoring_matches r JOIN participants p ON p.id = r.participant_id
		WHERE r.id = e.resource_id::uuid AND p.consent_hr_sharing)
	WHEN 'interview' THEN EXISTS (SELECT 1 FROM interviews r JOIN participants p ON p.id = r.participant_id
		WHERE r.id = e.resource_id::uuid AND p.consent_hr_sharing)
	WHEN 'check_in' THEN EXISTS (SELECT 1 FROM check_ins r JOIN mentoring_matches m ON m.id = r.match_id
		JOIN participants p ON p.id = m.participant_id WHERE r.id = e.resource_id::uuid AND p.consent_hr_sharing)
	WHEN 'mentor' THEN EXISTS (SELECT 1 FROM mentors r LEFT JOIN participants p ON p.id = r.participant_id
		WHERE r.id = e.resource_id::uuid AND (r.participant_id IS NULL OR p.consent_hr_sharing))
	ELSE true END`

// List returns up to limit changes after position after, of f, within the caller's reach (and
// row-level security beneath). The page's Next is always set: the last change's position when
// the page is full; otherwise the end of its batch, past which nothing the caller may see can
// still appear; and after itself when this server is behind the one that began the batch (a
// replica catching up), to be read again. Errors: unavailable.
func (r *Changes) List(ctx context.Context, f domain.ChangeFilter, after domain.ChangePosition, limit int) (domain.ChangePage, error) {
	page := domain.ChangePage{Items: []domain.ChangeEvent{}, Next: after}
	p, ok := domain.PrincipalFrom(ctx)
	if !ok || len(f.ResourceTypes) == 0 || limit < 1 {
		return page, nil
	}
	reach := p.Reach
	if reach == nil {
		reach = []uuid.UUID{}
	}
	events := f.EventTypes
	if events == nil {
		events = []string{}
	}
	var batch string
	var usable bool
	// JIT off, for this batch only: the query's many conditions make its estimated cost large
	// enough for PostgreSQL to compile it, which took 7.3 s where running it took 43 ms (a trust's
	// page over a million changes). The batch is one transaction, so the setting ends with it.
	b := &pgx.Batch{}
	b.Queue("SELECT set_config('jit', 'off', true)")
	b.Queue(strings.NewReplacer("{reach}", changesReach(p), "{aboutConsenting}", aboutConsentingParticipant).Replace(changesSQL), optionalText(after.Batch), optionalText(after.Seen),
		strconv.FormatUint(after.TxID, 10), after.Seq, f.ResourceTypes, events, p.AllOrganisations, reach, p.ActsForHR(), limit).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var txid pgtype.Text
				var seq pgtype.Int8
				var org pgtype.UUID
				var c domain.ChangeEvent
				var eventType, resourceType, resourceID pgtype.Text
				var fields []byte
				var at pgtype.Timestamptz
				if err := rows.Scan(&batch, &usable, &txid, &seq, &org, &eventType, &resourceType, &resourceID, &fields, &at); err != nil {
					return err
				}
				if !txid.Valid {
					continue // no change follows: the row only carries the batch
				}
				var err error
				if c.Position.TxID, err = strconv.ParseUint(txid.String, 10, 64); err != nil {
					return err
				}
				c.Position.Seq = seq.Int64
				if org.Valid {
					id := uuid.UUID(org.Bytes)
					c.OrganisationID = &id
				}
				c.EventType, c.ResourceType, c.ResourceID, c.At = eventType.String, resourceType.String, resourceID.String, at.Time
				if err := json.Unmarshal(fields, &c.Fields); err != nil {
					return err
				}
				page.Items = append(page.Items, c)
			}
			return rows.Err()
		})
	err := r.db.SendBatch(ctx, b)
	if err != nil {
		return domain.ChangePage{}, translate(err, "list changes")
	}
	if !usable {
		return page, nil // behind the batch's server: read again from the same place
	}
	for i := range page.Items {
		page.Items[i].Position.Seen, page.Items[i].Position.Batch = after.Seen, batch
	}
	if n := len(page.Items); n == limit {
		page.Next = page.Items[n-1].Position
	} else {
		// Every change the caller may see of the batch is read: the next batch follows it.
		page.Next = domain.ChangePosition{Seen: batch}
	}
	return page, nil
}

// changesReach is the feed's reach condition for p, on $7 (every organisation) and $8 (these),
// both always sent so that the parameters stay the same.
func changesReach(p domain.Principal) string {
	switch {
	case p.AllOrganisations:
		return "($7::boolean OR $8::uuid[] IS NULL)"
	case len(p.Reach) == 1:
		return "e.organisation_id = ($8::uuid[])[1] AND NOT $7::boolean"
	default:
		return "e.organisation_id = ANY ($8::uuid[]) AND NOT $7::boolean"
	}
}

// optionalText is s, or SQL null when empty.
func optionalText(s string) pgtype.Text { return pgtype.Text{String: s, Valid: s != ""} }
