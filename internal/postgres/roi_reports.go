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
// year starting $1 (null: every one); their amounts, and per award-year the participants
// engaged (as in a highlight report) with a positive outcome, live and linked to one of the
// award's enrolments or to none: report_award_years (migration 00024), which triggers keep
// equal to counting them from the enrolments and outcomes.
const roiSQL = `WITH y AS (
	SELECT a.id, n, make_date(split_part(a.tender_round, '/', 1)::int + n - 1, 4, 1) AS starts_on,
		CASE n WHEN 1 THEN a.year1_amount_pence WHEN 2 THEN a.year2_amount_pence ELSE a.year3_amount_pence END AS amount
	FROM funding_awards a CROSS JOIN generate_series(1, 3) AS n
	WHERE a.deleted_at IS NULL AND ($4::boolean OR a.organisation_id = ANY ($5::uuid[]))
		AND ($2::uuid IS NULL OR a.programme_id = $2::uuid) AND ($3::uuid IS NULL OR a.organisation_id = $3::uuid)
), sel AS (
	SELECT id, n, amount FROM y WHERE $1::date IS NULL OR starts_on = $1::date
)
SELECT count(*)::int, coalesce(sum(sel.amount), 0)::bigint, coalesce(sum(r.engaged_positive), 0)::int
FROM sel LEFT JOIN report_award_years r ON r.funding_award_id = sel.id AND r.funded_year = sel.n`

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
	b.Queue(roiSQL, starts, optionalID(q.ProgrammeID), optionalID(q.OrganisationID), all, reach).
		QueryRow(func(row pgx.Row) error { return row.Scan(&c.FundedYears, &c.SpendPence, &c.PositiveOutcomes) })
	if err := r.db.SendBatch(ctx, b); err != nil {
		return c, translate(err, "roi report")
	}
	return c, nil
}
