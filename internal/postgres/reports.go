package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// Reports counts what reports show, in plain SQL: a fixed number of set-based queries sent
// together in one batch, which PostgreSQL runs in one implicit transaction, so a report's
// figures come from one snapshot. Row-level security applies as to every read of the seam.
type Reports struct{ db *DB }

// NewReports returns the report queries.
func NewReports(db *DB) *Reports { return &Reports{db: db} }

var _ domain.ReportStore = (*Reports)(nil)

// awardEnrolments are the enrolments of the cohorts delivered under award $1 (e), and the
// participants engaged from $2 to $3 (engaged): an enrolment that reached active on or before
// the last day and did not complete or withdraw before the first.
const awardEnrolments = `WITH e AS (
	SELECT e.id, e.participant_id, e.started_on, e.completed_on, e.withdrawn_on, e.withdrawal_reason
	FROM enrolments e JOIN cohorts c ON c.id = e.cohort_id
	WHERE c.funding_award_id = $1
), engaged AS (
	SELECT DISTINCT participant_id FROM e
	WHERE started_on <= $3::date AND coalesce(completed_on, withdrawn_on, 'infinity'::date) >= $2::date
), award_outcomes AS (
	-- The live outcomes of engaged participants, linked to one of the award's enrolments or to none.
	SELECT o.* FROM outcomes o JOIN engaged USING (participant_id)
	WHERE o.deleted_at IS NULL AND (o.enrolment_id IS NULL OR o.enrolment_id IN (SELECT id FROM e))
)`

const highlightFiguresSQL = awardEnrolments + `
SELECT
	(SELECT count(*) FROM cohorts WHERE funding_award_id = $1 AND status <> 'cancelled'
		AND starts_on <= $3::date AND ends_on >= $2::date)::int,
	(SELECT count(*) FROM engaged)::int,
	(SELECT count(DISTINCT participant_id) FROM award_outcomes WHERE destination = ANY ($4::text[]))::int,
	(SELECT count(*) FROM e WHERE started_on BETWEEN $2::date AND $3::date)::int,
	(SELECT count(*) FROM e WHERE completed_on BETWEEN $2::date AND $3::date)::int,
	(SELECT count(*) FROM e WHERE withdrawn_on BETWEEN $2::date AND $3::date)::int,
	(SELECT count(*) FROM mentoring_matches m WHERE m.deleted_at IS NULL AND m.enrolment_id IN (SELECT id FROM e)
		AND m.starts_on <= $3::date AND coalesce(m.ended_on, m.planned_end_on) >= $2::date)::int,
	(SELECT count(*) FROM check_ins ci JOIN mentoring_matches m ON m.id = ci.match_id
		WHERE m.deleted_at IS NULL AND m.enrolment_id IN (SELECT id FROM e) AND ci.held_on BETWEEN $2::date AND $3::date)::int`

const highlightWithdrawalsSQL = `SELECT e.withdrawal_reason, count(*)::int
FROM enrolments e JOIN cohorts c ON c.id = e.cohort_id
WHERE c.funding_award_id = $1 AND e.withdrawn_on BETWEEN $2::date AND $3::date
GROUP BY 1 ORDER BY 2 DESC, 1`

const highlightOutcomesSQL = awardEnrolments + `
SELECT destination, ilr_code, count(*)::int,
	count(sustained_3m)::int, count(*) FILTER (WHERE sustained_3m = 'yes')::int,
	count(sustained_6m)::int, count(*) FILTER (WHERE sustained_6m = 'yes')::int
FROM award_outcomes GROUP BY 1, 2 ORDER BY 2, 1`

const highlightPlacementsSQL = `SELECT p.role_area, count(*)::int
FROM placements p JOIN cohorts c ON c.id = p.cohort_id
WHERE c.funding_award_id = $1 AND p.deleted_at IS NULL AND p.starts_on <= $3::date AND p.ends_on >= $2::date
GROUP BY 1`

// highlightCaseStudiesSQL lists the case studies published from $2 to $3, still published,
// about award $1's programme, by its recipient, the recipient's member trusts, or an
// organisation that delivers one of its cohorts.
const highlightCaseStudiesSQL = `SELECT cs.id, cs.organisation_id, cs.title, cs.published_on
FROM case_studies cs JOIN funding_awards a ON a.id = $1 AND cs.programme_id = a.programme_id
WHERE cs.status = 'published' AND cs.deleted_at IS NULL AND cs.published_on BETWEEN $2::date AND $3::date
	AND (cs.organisation_id = a.organisation_id
		OR cs.organisation_id IN (SELECT member_id FROM organisation_members WHERE collaboration_id = a.organisation_id)
		OR cs.organisation_id IN (SELECT organisation_id FROM cohorts WHERE funding_award_id = $1))
ORDER BY cs.published_on, cs.id`

// Highlight counts award's highlight figures from from to to (domain.HighlightReport says
// what each counts) in one batch of five queries. Errors: unavailable.
func (r *Reports) Highlight(ctx context.Context, award uuid.UUID, from, to time.Time) (domain.HighlightCounts, error) {
	var c domain.HighlightCounts
	b := &pgx.Batch{}
	b.Queue(highlightFiguresSQL, award, from, to, domain.PositiveDestinations()).QueryRow(func(row pgx.Row) error {
		return row.Scan(&c.Cohorts, &c.Engaged, &c.EngagedPositive, &c.Starts, &c.Completions, &c.Withdrawals,
			&c.Matches, &c.CheckIns)
	})
	b.Queue(highlightWithdrawalsSQL, award, from, to).Query(func(rows pgx.Rows) (err error) {
		c.WithdrawalsByReason, err = scanCounts(rows)
		return err
	})
	b.Queue(highlightOutcomesSQL, award, from, to).Query(func(rows pgx.Rows) error {
		var t domain.OutcomeTally
		_, err := pgx.ForEachRow(rows, []any{&t.Destination, &t.ILRCode, &t.Outcomes, &t.Checked3m, &t.Held3m, &t.Checked6m, &t.Held6m},
			func() error { c.Outcomes = append(c.Outcomes, t); return nil })
		return err
	})
	b.Queue(highlightPlacementsSQL, award, from, to).Query(func(rows pgx.Rows) error {
		counts, err := scanCounts(rows)
		c.PlacementsByRoleArea = everyKey(domain.RoleAreas, counts)
		return err
	})
	b.Queue(highlightCaseStudiesSQL, award, from, to).Query(func(rows pgx.Rows) error {
		var cs domain.ReportedCaseStudy
		_, err := pgx.ForEachRow(rows, []any{&cs.ID, &cs.OrganisationID, &cs.Title, &cs.PublishedOn},
			func() error { c.CaseStudies = append(c.CaseStudies, cs); return nil })
		return err
	})
	if err := r.db.SendBatch(ctx, b); err != nil {
		return c, translate(err, "highlight report")
	}
	return c, nil
}

// scanCounts reads rows of (key, count).
func scanCounts(rows pgx.Rows) ([]domain.Count, error) {
	var out []domain.Count
	var c domain.Count
	_, err := pgx.ForEachRow(rows, []any{&c.Key, &c.N}, func() error { out = append(out, c); return nil })
	if err != nil {
		return nil, fmt.Errorf("scan counts: %w", err)
	}
	return out, nil
}

// everyKey lists a count for each of keys, in their order, 0 for those counts lacks.
func everyKey(keys []string, counts []domain.Count) []domain.Count {
	out := make([]domain.Count, len(keys))
	for i, k := range keys {
		out[i].Key = k
		for _, c := range counts {
			if c.Key == k {
				out[i].N = c.N
			}
		}
	}
	return out
}
