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
// organisations within the reach $3 (every organisation) or $4 (these): by region, and in total
// (the row where grouping(region) is 1).
const activitySQL = `WITH a AS (
	SELECT p.organisation_id, p.kind AS what, NULL::uuid AS participant_id
	FROM placements p
	WHERE p.deleted_at IS NULL AND p.kind IN ('work_experience', 'work_related_learning') AND p.starts_on BETWEEN $1::date AND $2::date
	UNION ALL
	SELECT c.organisation_id, 'employability', e.participant_id
	FROM enrolments e JOIN cohorts c ON c.id = e.cohort_id JOIN programmes pr ON pr.id = c.programme_id
	WHERE pr.category = 'employability' AND e.started_on BETWEEN $1::date AND $2::date
)
SELECT grouping(o.region)::int, o.region,
	(count(*) FILTER (WHERE what = 'work_experience'))::int,
	(count(*) FILTER (WHERE what = 'work_related_learning'))::int,
	(count(DISTINCT participant_id) FILTER (WHERE what = 'employability'))::int
FROM a JOIN organisations o ON o.id = a.organisation_id
WHERE $3::boolean OR a.organisation_id = ANY ($4::uuid[])
GROUP BY GROUPING SETS ((o.region), ())`

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
