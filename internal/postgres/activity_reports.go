package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/p4w-nhs/p4w/internal/domain"
)

var _ domain.ActivityReportStore = (*Reports)(nil)

// activitySQL counts, from $1 to $2, the work experience and work-related learning placements
// starting and the distinct participants starting an employability programme, of the
// organisations within the reach $3 (every organisation) or $4 (these): by region (isTotal 0),
// and in total (isTotal 1), where a participant who started in two regions counts once. Each
// count is a hash aggregate over an index-only range scan of the year's starts (migration
// 00024's enrolments_started and placements_activity), with no sort.
const activitySQL = `WITH pl AS (
	SELECT p.organisation_id, count(*) FILTER (WHERE p.kind = 'work_experience') AS we,
		count(*) FILTER (WHERE p.kind = 'work_related_learning') AS wrl
	FROM placements p
	WHERE p.deleted_at IS NULL AND p.kind IN ('work_experience', 'work_related_learning') AND p.starts_on BETWEEN $1::date AND $2::date
		AND ($3::boolean OR p.organisation_id = ANY ($4::uuid[]))
	GROUP BY p.organisation_id
), em AS (
	SELECT DISTINCT o.region, e.participant_id
	FROM enrolments e JOIN cohorts c ON c.id = e.cohort_id JOIN organisations o ON o.id = c.organisation_id
	WHERE c.programme_id IN (SELECT id FROM programmes WHERE category = 'employability')
		AND e.started_on BETWEEN $1::date AND $2::date AND ($3::boolean OR c.organisation_id = ANY ($4::uuid[]))
), byregion AS (
	SELECT region, sum(we) AS we, sum(wrl) AS wrl, sum(emp) AS emp FROM (
		SELECT o.region, pl.we, pl.wrl, 0 AS emp FROM pl JOIN organisations o ON o.id = pl.organisation_id
		UNION ALL
		SELECT region, 0, 0, count(*) FROM em GROUP BY region
	) AS x GROUP BY region
)
SELECT 0, region, we::int, wrl::int, emp::int FROM byregion
UNION ALL
SELECT 1, NULL, coalesce((SELECT sum(we) FROM pl), 0)::int, coalesce((SELECT sum(wrl) FROM pl), 0)::int,
	(SELECT count(*) FROM (SELECT DISTINCT participant_id FROM em) AS d)::int`

// Activity counts year's activity in one query. Errors: unavailable.
func (r *Reports) Activity(ctx context.Context, year domain.FinancialYear, all bool, reach []uuid.UUID) (domain.ActivityCounts, []domain.RegionActivity, error) {
	var total domain.ActivityCounts
	regions := make([]domain.RegionActivity, len(domain.Regions))
	for i, name := range domain.Regions {
		regions[i].Region = name
	}
	if reach == nil {
		reach = []uuid.UUID{}
	}
	err := r.db.Query(ctx, func(rows pgx.Rows) error {
		var isTotal int
		var region *string
		var c domain.ActivityCounts
		_, err := pgx.ForEachRow(rows, []any{&isTotal, &region, &c.WorkExperience, &c.WorkRelatedLearning, &c.EmployabilityParticipants},
			func() error {
				if isTotal == 1 {
					total = c
					return nil
				}
				for i := range regions {
					if region != nil && regions[i].Region == *region {
						regions[i].ActivityCounts = c
					}
				}
				return nil
			})
		return err
	}, activitySQL, year.StartsOn, year.EndsOn, all, reach)
	if err != nil {
		return total, nil, translate(err, "activity report")
	}
	return total, regions, nil
}
