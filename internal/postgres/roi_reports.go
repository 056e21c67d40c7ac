package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/p4w-nhs/p4w/internal/domain"
)

var _ domain.ROIReportStore = (*Reports)(nil)

// roiSQL: the funded years (sel) of the live awards received within the reach $4 (every
// organisation) or $5 (these), of programme $2 and recipient $3 (null: any), in the financial
// year starting $1 (null: every one); the enrolments of their cohorts (ae); and per award-year
// the participants engaged (as in a highlight report) with a positive outcome ($6), live and
// linked to one of the award's enrolments or to none.
const roiSQL = `WITH y AS (
	SELECT a.id, n, make_date(split_part(a.tender_round, '/', 1)::int + n - 1, 4, 1) AS starts_on,
		CASE n WHEN 1 THEN a.year1_amount_pence WHEN 2 THEN a.year2_amount_pence ELSE a.year3_amount_pence END AS amount
	FROM funding_awards a CROSS JOIN generate_series(1, 3) AS n
	WHERE a.deleted_at IS NULL AND ($4::boolean OR a.organisation_id = ANY ($5::uuid[]))
		AND ($2::uuid IS NULL OR a.programme_id = $2::uuid) AND ($3::uuid IS NULL OR a.organisation_id = $3::uuid)
), sel AS (
	SELECT id, starts_on, (starts_on + interval '1 year' - interval '1 day')::date AS ends_on, amount
	FROM y WHERE $1::date IS NULL OR starts_on = $1::date
), ae AS (
	SELECT c.funding_award_id AS award_id, e.id, e.participant_id, e.started_on, e.completed_on, e.withdrawn_on
	FROM enrolments e JOIN cohorts c ON c.id = e.cohort_id
	WHERE c.funding_award_id IN (SELECT id FROM sel)
), engaged AS (
	SELECT DISTINCT sel.id AS award_id, sel.starts_on, ae.participant_id
	FROM sel JOIN ae ON ae.award_id = sel.id
	WHERE ae.started_on <= sel.ends_on AND coalesce(ae.completed_on, ae.withdrawn_on, 'infinity'::date) >= sel.starts_on
)
SELECT (SELECT count(*) FROM sel)::int, (SELECT coalesce(sum(amount), 0) FROM sel)::bigint,
	(SELECT count(*) FROM engaged g WHERE EXISTS (
		SELECT 1 FROM outcomes o WHERE o.participant_id = g.participant_id AND o.deleted_at IS NULL
			AND o.destination = ANY ($6::text[])
			AND (o.enrolment_id IS NULL OR o.enrolment_id IN (SELECT id FROM ae WHERE ae.award_id = g.award_id))))::int`

// ROI counts q's spend and positive outcomes in one query. Errors: unavailable.
func (r *Reports) ROI(ctx context.Context, q domain.ROIQuery, all bool, reach []uuid.UUID) (domain.ROICounts, error) {
	var c domain.ROICounts
	var starts pgtype.Date
	if q.FinancialYear != nil {
		starts = pgtype.Date{Time: q.FinancialYear.StartsOn, Valid: true}
	}
	if reach == nil {
		reach = []uuid.UUID{}
	}
	b := &pgx.Batch{}
	b.Queue(roiSQL, starts, optionalID(q.ProgrammeID), optionalID(q.OrganisationID), all, reach, domain.PositiveDestinations()).
		QueryRow(func(row pgx.Row) error { return row.Scan(&c.FundedYears, &c.SpendPence, &c.PositiveOutcomes) })
	if err := r.db.SendBatch(ctx, b); err != nil {
		return c, translate(err, "roi report")
	}
	return c, nil
}
