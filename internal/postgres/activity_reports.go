package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/p4w-nhs/p4w/internal/domain"
)

var _ domain.ActivityReportStore = (*Reports)(nil)

// activitySQL counts the financial year $1 (from $4 to $5): the work experience and
// work-related learning placements starting and the distinct participants starting an
// employability programme, of the organisations within the reach $2 (every organisation) or $3
// (these): by region (isTotal 0), and in total (isTotal 1), where a participant who started in
// two regions counts once. It reads migration 00026's summaries: an organisation's row counts
// its own participants once; a participant who started at another organisation's cohort (an
// away row, rare) adds one unless already counted by their home's row within the same reach
// (and, for a region, the same region), which a probe of their enrolments tells.
const activitySQL = `WITH y AS (
	SELECT o.region, r.work_experience AS we, r.work_related_learning AS wrl, r.employability_home AS emp
	FROM report_activity_years r JOIN organisations o ON o.id = r.organisation_id
	WHERE r.financial_year = $1 AND ($2::boolean OR r.organisation_id = ANY ($3::uuid[]))
), away AS (
	SELECT o.region, w.participant_id, h.region AS home_region,
		($2::boolean OR w.home_id = ANY ($3::uuid[])) AND EXISTS (
			SELECT 1 FROM enrolments e JOIN cohorts c ON c.id = e.cohort_id
			WHERE e.participant_id = w.participant_id AND c.organisation_id = w.home_id
				AND e.started_on BETWEEN $4::date AND $5::date
				AND c.programme_id IN (SELECT id FROM programmes WHERE category = 'employability')) AS home_counted
	FROM report_activity_away w JOIN organisations o ON o.id = w.organisation_id LEFT JOIN organisations h ON h.id = w.home_id
	WHERE w.financial_year = $1 AND ($2::boolean OR w.organisation_id = ANY ($3::uuid[]))
), byregion AS (
	SELECT region, sum(we) AS we, sum(wrl) AS wrl, sum(emp) AS emp FROM (
		SELECT region, we, wrl, emp FROM y
		UNION ALL
		SELECT region, 0, 0, count(DISTINCT participant_id) FROM away
		WHERE NOT (home_counted AND home_region = region) GROUP BY region
	) AS x GROUP BY region
)
SELECT 0, region, we::int, wrl::int, emp::int FROM byregion
UNION ALL
SELECT 1, NULL, coalesce((SELECT sum(we) FROM y), 0)::int, coalesce((SELECT sum(wrl) FROM y), 0)::int,
	(coalesce((SELECT sum(emp) FROM y), 0) + (SELECT count(DISTINCT participant_id) FROM away WHERE NOT home_counted))::int`

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
	}, activitySQL, year.StartsOn.Year(), all, reach, year.StartsOn, year.EndsOn)
	if err != nil {
		return total, nil, translate(err, "activity report")
	}
	return total, regions, nil
}
