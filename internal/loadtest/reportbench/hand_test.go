package reportbench_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// The hand-written queries: each report's figures computed straight from the raw rows by a
// query written apart from p4w's, reading no table p4w keeps for its reports, as the owner of
// the tables (no row-level security). They are the yardstick of the timings and the check of
// the figures, so they follow the definitions in the domain package's doc comments, not p4w's
// SQL: where p4w joins a placement to the award through its cohort, the hand query goes
// through its enrolment; where p4w counts distinct enrolments of a join, the hand query sums
// per-enrolment tallies of pre-aggregated outcomes.

// positive is the SQL list of positive destinations.
const positive = `('employment', 'apprenticeship', 'volunteering', 'further_education', 'training')`

// handHighlight counts award's highlight figures from from to to.
func handHighlight(ctx context.Context, conn *pgx.Conn, award uuid.UUID, from, to time.Time) (figures, error) {
	return namedCounts(ctx, conn, `WITH ae AS (
	SELECT e.id, e.participant_id, e.started_on, e.completed_on, e.withdrawn_on, e.withdrawal_reason
	FROM cohorts c JOIN enrolments e ON e.cohort_id = c.id
	WHERE c.funding_award_id = $1
), eng AS (
	SELECT participant_id FROM ae
	WHERE started_on <= $3 AND (completed_on IS NULL OR completed_on >= $2) AND (withdrawn_on IS NULL OR withdrawn_on >= $2)
	GROUP BY participant_id
), oc AS (
	SELECT o.participant_id, o.destination, o.ilr_code, o.sustained_3m, o.sustained_6m, o.destination IN `+positive+` AS positive
	FROM outcomes o JOIN eng USING (participant_id)
	WHERE o.deleted_at IS NULL AND (o.enrolment_id IS NULL OR EXISTS (SELECT 1 FROM ae WHERE ae.id = o.enrolment_id))
)
SELECT 'cohorts', count(*) FROM cohorts WHERE funding_award_id = $1 AND status <> 'cancelled' AND NOT (ends_on < $2 OR starts_on > $3)
UNION ALL SELECT 'engaged', count(*) FROM eng
UNION ALL SELECT 'conversion/denominator', count(*) FROM eng
UNION ALL SELECT 'conversion/numerator', count(DISTINCT participant_id) FROM oc WHERE positive
UNION ALL SELECT 'starts', count(*) FROM ae WHERE started_on >= $2 AND started_on <= $3
UNION ALL SELECT 'completions', count(*) FROM ae WHERE completed_on >= $2 AND completed_on <= $3
UNION ALL SELECT 'withdrawals', count(*) FROM ae WHERE withdrawn_on >= $2 AND withdrawn_on <= $3
UNION ALL SELECT 'withdrawn/' || withdrawal_reason, count(*) FROM ae WHERE withdrawn_on >= $2 AND withdrawn_on <= $3 GROUP BY withdrawal_reason
UNION ALL SELECT 'destination/' || destination, count(*) FROM oc GROUP BY destination
UNION ALL SELECT 'ilr/' || ilr_code, count(*) FROM oc GROUP BY ilr_code
UNION ALL SELECT 'sustained_3m/numerator', count(*) FROM oc WHERE positive AND sustained_3m = 'yes'
UNION ALL SELECT 'sustained_3m/denominator', count(*) FROM oc WHERE positive AND sustained_3m IS NOT NULL
UNION ALL SELECT 'sustained_6m/numerator', count(*) FROM oc WHERE positive AND sustained_6m = 'yes'
UNION ALL SELECT 'sustained_6m/denominator', count(*) FROM oc WHERE positive AND sustained_6m IS NOT NULL
UNION ALL SELECT 'placements/' || p.role_area, count(*) FROM placements p JOIN ae ON ae.id = p.enrolment_id
	WHERE p.deleted_at IS NULL AND p.starts_on <= $3 AND p.ends_on >= $2 GROUP BY p.role_area
UNION ALL SELECT 'matches', count(*) FROM mentoring_matches m JOIN ae ON ae.id = m.enrolment_id
	WHERE m.deleted_at IS NULL AND m.starts_on <= $3 AND coalesce(m.ended_on, m.planned_end_on) >= $2
UNION ALL SELECT 'check_ins', count(*) FROM check_ins ci JOIN mentoring_matches m ON m.id = ci.match_id JOIN ae ON ae.id = m.enrolment_id
	WHERE m.deleted_at IS NULL AND ci.held_on >= $2 AND ci.held_on <= $3`, award, from, to)
}

// handOutcomes counts the outcome analytics grouped by groupBy, of the enrolments started from
// from to to (nil: unbounded) in cohorts of reach (nil: every organisation).
func handOutcomes(ctx context.Context, conn *pgx.Conn, groupBy []string, reach *uuid.UUID, from, to *time.Time) (figures, error) {
	keyOf := map[string]string{
		"programme":    "c.programme_id::text",
		"organisation": "c.organisation_id::text",
		"region":       "coalesce(org.region, '')",
		"cohort":       "c.id::text",
		"award":        "coalesce(c.funding_award_id::text, '')",
		"quarter":      "extract(year FROM e.started_on) || '-Q' || extract(quarter FROM e.started_on)",
	}
	key := "''"
	if len(groupBy) > 0 {
		var parts []string
		for _, g := range groupBy {
			parts = append(parts, keyOf[g])
		}
		key = strings.Join(parts, " || ',' || ")
	}
	where := []string{"e.started_on IS NOT NULL"}
	var args []any
	if from != nil {
		args = append(args, *from)
		where = append(where, fmt.Sprintf("e.started_on >= $%d", len(args)))
	}
	if to != nil {
		args = append(args, *to)
		where = append(where, fmt.Sprintf("e.started_on <= $%d", len(args)))
	}
	if reach != nil {
		args = append(args, *reach)
		where = append(where, fmt.Sprintf("c.organisation_id = $%d", len(args)))
	}
	sql := `WITH s AS (
	SELECT e.id, e.participant_id, ` + key + ` AS k, (e.completed_on IS NOT NULL)::int AS completed, (e.withdrawn_on IS NOT NULL)::int AS withdrawn
	FROM enrolments e JOIN cohorts c ON c.id = e.cohort_id JOIN organisations org ON org.id = c.organisation_id
	WHERE ` + strings.Join(where, " AND ") + `
), po AS (
	-- each participant's live positive outcomes, tallied per enrolment they are linked to (or none)
	SELECT participant_id, enrolment_id, count(*) AS n,
		count(*) FILTER (WHERE destination = 'employment') AS employment,
		count(*) FILTER (WHERE destination = 'apprenticeship') AS apprenticeship,
		count(*) FILTER (WHERE destination = 'volunteering') AS volunteering,
		count(*) FILTER (WHERE destination = 'further_education') AS further_education,
		count(*) FILTER (WHERE destination = 'training') AS training,
		count(sustained_3m) AS c3, count(*) FILTER (WHERE sustained_3m = 'yes') AS h3,
		count(sustained_6m) AS c6, count(*) FILTER (WHERE sustained_6m = 'yes') AS h6
	FROM outcomes WHERE deleted_at IS NULL AND destination IN ` + positive + `
	GROUP BY participant_id, enrolment_id
), per AS (
	SELECT s.k, s.completed, s.withdrawn,
		coalesce(l.n, 0) + coalesce(u.n, 0) AS n,
		coalesce(l.employment, 0) + coalesce(u.employment, 0) AS employment,
		coalesce(l.apprenticeship, 0) + coalesce(u.apprenticeship, 0) AS apprenticeship,
		coalesce(l.volunteering, 0) + coalesce(u.volunteering, 0) AS volunteering,
		coalesce(l.further_education, 0) + coalesce(u.further_education, 0) AS further_education,
		coalesce(l.training, 0) + coalesce(u.training, 0) AS training,
		coalesce(l.c3, 0) + coalesce(u.c3, 0) AS c3, coalesce(l.h3, 0) + coalesce(u.h3, 0) AS h3,
		coalesce(l.c6, 0) + coalesce(u.c6, 0) AS c6, coalesce(l.h6, 0) + coalesce(u.h6, 0) AS h6
	FROM s
	LEFT JOIN po l ON l.enrolment_id = s.id
	LEFT JOIN po u ON u.enrolment_id IS NULL AND u.participant_id = s.participant_id
)
SELECT k, count(*), sum(completed), sum(withdrawn), count(*) FILTER (WHERE n > 0), sum(employment), sum(apprenticeship),
	sum(volunteering), sum(further_education), sum(training), sum(c3), sum(h3), sum(c6), sum(h6)
FROM per GROUP BY k`
	f := figures{}
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	names := []string{"started", "completed", "withdrawn", "converted", "destination/employment", "destination/apprenticeship",
		"destination/volunteering", "destination/further_education", "destination/training",
		"sustained_3m/checked", "sustained_3m/held", "sustained_6m/checked", "sustained_6m/held"}
	var k string
	v := make([]int64, len(names))
	dest := []any{&k}
	for i := range v {
		dest = append(dest, &v[i])
	}
	_, err = pgx.ForEachRow(rows, dest, func() error {
		for i, name := range names {
			f.add("row["+k+"]/"+name, int(v[i]))
		}
		return nil
	})
	return f, err
}

// handROI counts the spend and the positive outcomes of every live award's three funded years.
func handROI(ctx context.Context, conn *pgx.Conn) (figures, error) {
	var years, spend, positives int64
	err := conn.QueryRow(ctx, `WITH ay AS (
	SELECT a.id, y.n, left(a.tender_round, 4)::int + y.n - 1 AS fy,
		CASE y.n WHEN 1 THEN a.year1_amount_pence WHEN 2 THEN a.year2_amount_pence ELSE a.year3_amount_pence END AS amount
	FROM funding_awards a CROSS JOIN (VALUES (1), (2), (3)) AS y (n)
	WHERE a.deleted_at IS NULL
), ae AS (
	SELECT c.funding_award_id AS award_id, e.id, e.participant_id, e.started_on, coalesce(e.completed_on, e.withdrawn_on) AS ended
	FROM enrolments e JOIN cohorts c ON c.id = e.cohort_id
	WHERE c.funding_award_id IS NOT NULL
), eng AS (
	SELECT DISTINCT ay.id AS award_id, ay.n, ae.participant_id
	FROM ay JOIN ae ON ae.award_id = ay.id
	WHERE ae.started_on <= make_date(ay.fy + 1, 3, 31) AND (ae.ended IS NULL OR ae.ended >= make_date(ay.fy, 4, 1))
), pos AS (
	SELECT ae.award_id, o.participant_id FROM outcomes o JOIN ae ON ae.id = o.enrolment_id
	WHERE o.deleted_at IS NULL AND o.destination IN `+positive+`
	UNION
	SELECT ae.award_id, o.participant_id FROM outcomes o JOIN ae ON ae.participant_id = o.participant_id
	WHERE o.enrolment_id IS NULL AND o.deleted_at IS NULL AND o.destination IN `+positive+`
)
SELECT (SELECT count(*) FROM ay), (SELECT coalesce(sum(amount), 0) FROM ay),
	(SELECT count(*) FROM eng JOIN pos USING (award_id, participant_id))`).Scan(&years, &spend, &positives)
	return figures{"funded_years": years, "spend_pence": spend, "positive_outcomes": positives}, err
}

// handActivity counts the financial year's activity starting on starts, by region and in total.
func handActivity(ctx context.Context, conn *pgx.Conn, starts time.Time) (figures, error) {
	return namedCounts(ctx, conn, `WITH pl AS (
	SELECT o.region, p.kind FROM placements p JOIN organisations o ON o.id = p.organisation_id
	WHERE p.deleted_at IS NULL AND p.starts_on >= $1 AND p.starts_on < $2
), em AS (
	SELECT DISTINCT o.region, e.participant_id
	FROM enrolments e JOIN cohorts c ON c.id = e.cohort_id JOIN programmes pr ON pr.id = c.programme_id
		JOIN organisations o ON o.id = c.organisation_id
	WHERE pr.category = 'employability' AND e.started_on >= $1 AND e.started_on < $2
)
SELECT region || '/' || kind, count(*) FROM pl WHERE kind <> 'placement' GROUP BY region, kind
UNION ALL SELECT 'all/' || kind, count(*) FROM pl WHERE kind <> 'placement' GROUP BY kind
UNION ALL SELECT region || '/employability_participants', count(*) FROM em GROUP BY region
UNION ALL SELECT 'all/employability_participants', count(DISTINCT participant_id) FROM em`, starts, starts.AddDate(1, 0, 0))
}

// namedCounts runs a query of (name, count) rows.
func namedCounts(ctx context.Context, conn *pgx.Conn, sql string, args ...any) (figures, error) {
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	f := figures{}
	var name string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&name, &n}, func() error {
		f.add(name, int(n))
		return nil
	})
	return f, err
}
