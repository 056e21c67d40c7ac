package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/p4w-nhs/p4w/internal/pgtest"
	"github.com/p4w-nhs/p4w/internal/postgres"
)

// rawActivitySQL counts the activity report's figures from the raw rows, with activitySQL's
// parameters and rows: the query the report ran before migration 00026.
const rawActivitySQL = `WITH pl AS (
	SELECT p.organisation_id, count(*) FILTER (WHERE p.kind = 'work_experience') AS we,
		count(*) FILTER (WHERE p.kind = 'work_related_learning') AS wrl
	FROM placements p
	WHERE p.deleted_at IS NULL AND p.kind IN ('work_experience', 'work_related_learning') AND p.starts_on BETWEEN $4::date AND $5::date
		AND ($2::boolean OR p.organisation_id = ANY ($3::uuid[])) AND $1::int IS NOT NULL
	GROUP BY p.organisation_id
), em AS (
	SELECT DISTINCT o.region, e.participant_id
	FROM enrolments e JOIN cohorts c ON c.id = e.cohort_id JOIN organisations o ON o.id = c.organisation_id
	WHERE c.programme_id IN (SELECT id FROM programmes WHERE category = 'employability')
		AND e.started_on BETWEEN $4::date AND $5::date AND ($2::boolean OR c.organisation_id = ANY ($3::uuid[]))
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

func deref(s *string) string {
	if s == nil {
		return "all"
	}
	return *s
}

// The report summaries of migration 00024 (report_outcome_days and its quarters,
// report_award_years) and 00026 (report_activity_years, report_activity_away) are kept
// by triggers as records change. Whatever the writes, and whoever makes them, the tables must
// hold what a recount from the raw rows gives: the tables emptied and the same functions run
// over every cohort, award and activity key. (That a recount gives the reports' figures is checked by the report tests over HTTP and
// by make bench-reports against hand-written SQL.) The activity report read from its summaries is
// also checked, after every write, against the same figures counted from the raw rows, for every
// reach: a participant who starts at their own trust and at its collaboration counts once.
func TestReportSummariesFollowEveryWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	exec := func(sql string) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%v\n%s", err, sql)
		}
	}
	// Trust A is a member of collaboration C, which receives a Step into Work award; trust B is
	// elsewhere, with an award of its own. Cohorts: X (A, under C's award), Y (C, under C's
	// award), Z (B, under B's award), W (B, no award). P1 of trust A is enrolled in X and Y, P2
	// and P3 of trust B in Z and W.
	exec(`
INSERT INTO organisations (id, kind, name, region) VALUES
	('00000000-0000-7000-8000-00000000000a', 'trust', 'Trust A', 'london'),
	('00000000-0000-7000-8000-00000000000b', 'trust', 'Trust B', 'midlands'),
	('00000000-0000-7000-8000-00000000000c', 'collaboration', 'Collaboration C', 'london');
INSERT INTO organisation_members (collaboration_id, member_id) VALUES
	('00000000-0000-7000-8000-00000000000c', '00000000-0000-7000-8000-00000000000a');
INSERT INTO funding_awards (id, organisation_id, programme_id, tender_round, year1_amount_pence, year1_min_participants,
	year2_amount_pence, year2_min_participants, year3_amount_pence, year3_min_participants) VALUES
	('00000000-0000-7000-8000-0000000000a1', '00000000-0000-7000-8000-00000000000c', '01900000-0000-7000-8000-000000000101', '2024/25', 300, 2, 200, 2, 100, 2),
	('00000000-0000-7000-8000-0000000000a2', '00000000-0000-7000-8000-00000000000b', '01900000-0000-7000-8000-000000000101', '2024/25', 300, 2, 200, 2, 100, 2);
INSERT INTO cohorts (id, programme_id, organisation_id, name, starts_on, ends_on, capacity, funding_award_id) VALUES
	('00000000-0000-7000-8000-0000000000c1', '01900000-0000-7000-8000-000000000101', '00000000-0000-7000-8000-00000000000a', 'X', '2024-05-06', '2024-06-28', 10, '00000000-0000-7000-8000-0000000000a1'),
	('00000000-0000-7000-8000-0000000000c2', '01900000-0000-7000-8000-000000000101', '00000000-0000-7000-8000-00000000000c', 'Y', '2025-05-05', '2025-06-27', 10, '00000000-0000-7000-8000-0000000000a1'),
	('00000000-0000-7000-8000-0000000000c3', '01900000-0000-7000-8000-000000000101', '00000000-0000-7000-8000-00000000000b', 'Z', '2024-09-02', '2024-10-25', 10, '00000000-0000-7000-8000-0000000000a2'),
	('00000000-0000-7000-8000-0000000000c4', '01900000-0000-7000-8000-000000000102', '00000000-0000-7000-8000-00000000000b', 'W', '2025-01-06', '2025-02-07', 10, NULL);
INSERT INTO participants (id, organisation_id) VALUES
	('00000000-0000-7000-8000-0000000000f1', '00000000-0000-7000-8000-00000000000a'),
	('00000000-0000-7000-8000-0000000000f2', '00000000-0000-7000-8000-00000000000b'),
	('00000000-0000-7000-8000-0000000000f3', '00000000-0000-7000-8000-00000000000b');
INSERT INTO enrolments (id, cohort_id, participant_id, organisation_id, status, started_on, completed_on) VALUES
	('00000000-0000-7000-8000-0000000000e1', '00000000-0000-7000-8000-0000000000c1', '00000000-0000-7000-8000-0000000000f1', '00000000-0000-7000-8000-00000000000a', 'completed', '2024-05-06', '2024-06-28'),
	('00000000-0000-7000-8000-0000000000e2', '00000000-0000-7000-8000-0000000000c2', '00000000-0000-7000-8000-0000000000f1', '00000000-0000-7000-8000-00000000000c', 'active', '2025-05-05', NULL),
	('00000000-0000-7000-8000-0000000000e3', '00000000-0000-7000-8000-0000000000c3', '00000000-0000-7000-8000-0000000000f2', '00000000-0000-7000-8000-00000000000b', 'completed', '2024-09-02', '2024-10-25'),
	('00000000-0000-7000-8000-0000000000e4', '00000000-0000-7000-8000-0000000000c3', '00000000-0000-7000-8000-0000000000f3', '00000000-0000-7000-8000-00000000000b', 'active', '2024-09-03', NULL),
	('00000000-0000-7000-8000-0000000000e5', '00000000-0000-7000-8000-0000000000c4', '00000000-0000-7000-8000-0000000000f2', '00000000-0000-7000-8000-00000000000b', 'referred', NULL, NULL);
INSERT INTO outcomes (id, participant_id, enrolment_id, organisation_id, destination, ilr_code, sustained_3m, sustained_3m_checked_on) VALUES
	('00000000-0000-7000-8000-0000000000d1', '00000000-0000-7000-8000-0000000000f1', NULL, '00000000-0000-7000-8000-00000000000a', 'employment', 'EMP1', 'yes', '2024-10-01'),
	('00000000-0000-7000-8000-0000000000d2', '00000000-0000-7000-8000-0000000000f2', '00000000-0000-7000-8000-0000000000e3', '00000000-0000-7000-8000-00000000000b', 'apprenticeship', 'EDU2', NULL, NULL);`)

	type write struct{ what, reach, sql string }
	// Each write runs as p4w_api with the reach of the caller who would make it: the summaries
	// count rows of organisations beyond it (trust A's writes change the collaboration's cohort Y).
	writes := []write{
		{"a second outcome of P1, linked to no enrolment, counts for X and Y", "00000000-0000-7000-8000-00000000000a",
			`INSERT INTO outcomes (id, participant_id, enrolment_id, organisation_id, destination, ilr_code)
			 VALUES ('00000000-0000-7000-8000-0000000000d3', '00000000-0000-7000-8000-0000000000f1', NULL, '00000000-0000-7000-8000-00000000000a', 'training', 'EDU5')`},
		{"a sustainment check recorded", "00000000-0000-7000-8000-00000000000b",
			`UPDATE outcomes SET sustained_3m = 'no', sustained_3m_checked_on = '2025-02-01' WHERE id = '00000000-0000-7000-8000-0000000000d2'`},
		{"P1's first outcome linked to X only", "00000000-0000-7000-8000-00000000000a",
			`UPDATE outcomes SET enrolment_id = '00000000-0000-7000-8000-0000000000e1' WHERE id = '00000000-0000-7000-8000-0000000000d1'`},
		{"an outcome deleted (tombstone)", "00000000-0000-7000-8000-00000000000b",
			`UPDATE outcomes SET deleted_at = now() WHERE id = '00000000-0000-7000-8000-0000000000d2'`},
		{"an enrolment withdrawn", "00000000-0000-7000-8000-00000000000b",
			`UPDATE enrolments SET status = 'withdrawn', withdrawn_on = '2024-09-20', withdrawal_reason = 'moved away' WHERE id = '00000000-0000-7000-8000-0000000000e4'`},
		{"an enrolment started, in a cohort of no award", "00000000-0000-7000-8000-00000000000b",
			`UPDATE enrolments SET status = 'active', started_on = '2025-01-06' WHERE id = '00000000-0000-7000-8000-0000000000e5'`},
		{"two enrolments started in one statement", "*",
			`INSERT INTO enrolments (id, cohort_id, participant_id, organisation_id, status, started_on) VALUES
			 ('00000000-0000-7000-8000-0000000000e6', '00000000-0000-7000-8000-0000000000c4', '00000000-0000-7000-8000-0000000000f3', '00000000-0000-7000-8000-00000000000b', 'active', '2025-01-07'),
			 ('00000000-0000-7000-8000-0000000000e7', '00000000-0000-7000-8000-0000000000c1', '00000000-0000-7000-8000-0000000000f2', '00000000-0000-7000-8000-00000000000a', 'active', '2024-05-07')`},
		{"a cohort moved from one award to another", "*",
			`UPDATE cohorts SET funding_award_id = '00000000-0000-7000-8000-0000000000a2' WHERE id = '00000000-0000-7000-8000-0000000000c1'`},
		{"a cohort moved to another organisation", "*",
			`UPDATE cohorts SET organisation_id = '00000000-0000-7000-8000-00000000000a' WHERE id = '00000000-0000-7000-8000-0000000000c4'`},
		{"a cohort moved to another programme", "*",
			`UPDATE cohorts SET programme_id = '01900000-0000-7000-8000-000000000103' WHERE id = '00000000-0000-7000-8000-0000000000c4'`},
		{"an award's tender round changed", "*",
			`UPDATE funding_awards SET tender_round = '2025/26' WHERE id = '00000000-0000-7000-8000-0000000000a1'`},
		{"an enrolment's free text erased (nothing counted changes)", "00000000-0000-7000-8000-00000000000b",
			`UPDATE enrolments SET withdrawal_reason = '[erased]' WHERE id = '00000000-0000-7000-8000-0000000000e4'`},
		{"an enrolment deleted", "*",
			`DELETE FROM enrolments WHERE id = '00000000-0000-7000-8000-0000000000e7'`},
		{"an outcome deleted outright", "00000000-0000-7000-8000-00000000000a",
			`DELETE FROM outcomes WHERE id = '00000000-0000-7000-8000-0000000000d3'`},
		{"P1 started at the collaboration in the year of their start at home", "00000000-0000-7000-8000-00000000000c",
			`UPDATE enrolments SET started_on = '2024-06-03' WHERE id = '00000000-0000-7000-8000-0000000000e2'`},
		{"P3 of trust B started at the collaboration too", "*",
			`INSERT INTO enrolments (id, cohort_id, participant_id, organisation_id, status, started_on) VALUES
			 ('00000000-0000-7000-8000-0000000000e8', '00000000-0000-7000-8000-0000000000c2', '00000000-0000-7000-8000-0000000000f3', '00000000-0000-7000-8000-00000000000c', 'active', '2024-07-01')`},
		{"work experience and work-related learning placements", "00000000-0000-7000-8000-00000000000b",
			`INSERT INTO placements (id, enrolment_id, participant_id, cohort_id, organisation_id, kind, host_department, role_area, starts_on, ends_on) VALUES
			 ('00000000-0000-7000-8000-0000000000b1', '00000000-0000-7000-8000-0000000000e3', '00000000-0000-7000-8000-0000000000f2', '00000000-0000-7000-8000-0000000000c3', '00000000-0000-7000-8000-00000000000b', 'work_experience', 'Pharmacy', 'other', '2024-09-09', '2024-09-13'),
			 ('00000000-0000-7000-8000-0000000000b2', '00000000-0000-7000-8000-0000000000e4', '00000000-0000-7000-8000-0000000000f3', '00000000-0000-7000-8000-0000000000c3', '00000000-0000-7000-8000-00000000000b', 'work_related_learning', 'Estates', 'estates', '2025-03-31', '2025-03-31'),
			 ('00000000-0000-7000-8000-0000000000b3', '00000000-0000-7000-8000-0000000000e3', '00000000-0000-7000-8000-0000000000f2', '00000000-0000-7000-8000-0000000000c3', '00000000-0000-7000-8000-00000000000b', 'placement', 'Catering', 'other', '2024-09-09', '2024-09-13')`},
		{"a placement moved into the next year, one turned into work experience", "00000000-0000-7000-8000-00000000000b",
			`UPDATE placements SET starts_on = starts_on + 1, ends_on = ends_on + 1 WHERE id = '00000000-0000-7000-8000-0000000000b2';
			 UPDATE placements SET kind = 'work_experience' WHERE id = '00000000-0000-7000-8000-0000000000b3'`},
		{"a placement deleted (tombstone), one deleted outright", "*",
			`UPDATE placements SET deleted_at = now() WHERE id = '00000000-0000-7000-8000-0000000000b1';
			 DELETE FROM placements WHERE id = '00000000-0000-7000-8000-0000000000b2'`},
		{"P1's enrolment at home deleted", "*",
			`DELETE FROM outcomes WHERE enrolment_id = '00000000-0000-7000-8000-0000000000e1';
			 UPDATE outcomes SET enrolment_id = NULL WHERE enrolment_id = '00000000-0000-7000-8000-0000000000e1';
			 DELETE FROM enrolments WHERE id = '00000000-0000-7000-8000-0000000000e1'`},
	}
	const summaries = `SELECT 'day', concat_ws(' ', cohort_id, started_on, organisation_id, programme_id, funding_award_id),
		concat_ws(',', started, completed, withdrawn, converted,
		employment, apprenticeship, volunteering, further_education, training, checked_3m, held_3m, checked_6m, held_6m)
	FROM report_outcome_days
	UNION ALL SELECT 'quarter', concat_ws(' ', organisation_id, programme_id, funding_award_id, quarter),
		concat_ws(',', started, completed, withdrawn, converted,
		employment, apprenticeship, volunteering, further_education, training, checked_3m, held_3m, checked_6m, held_6m)
	FROM report_outcome_quarters
	UNION ALL SELECT 'award', funding_award_id::text || ' ' || funded_year || ' ' || organisation_id, engaged || ',' || engaged_positive
	FROM report_award_years
	UNION ALL SELECT 'activity', financial_year || ' ' || organisation_id, concat_ws(',', work_experience, work_related_learning, employability_home)
	FROM report_activity_years
	UNION ALL SELECT 'away', concat_ws(' ', financial_year, organisation_id, participant_id), home_id::text
	FROM report_activity_away ORDER BY 1, 2`
	read := func() string {
		t.Helper()
		rows, err := conn.Query(ctx, summaries)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		var kind, key, figures string
		if _, err := pgx.ForEachRow(rows, []any{&kind, &key, &figures}, func() error {
			out = append(out, kind+" "+key+": "+figures)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return strings.Join(out, "\n")
	}
	recount := func() string {
		t.Helper()
		exec(`BEGIN; DELETE FROM report_outcome_days; DELETE FROM report_outcome_quarters; DELETE FROM report_award_years;
			DELETE FROM report_activity_years; DELETE FROM report_activity_away`)
		exec(`SELECT p4w_report_cohorts(ARRAY(SELECT id FROM cohorts)), p4w_report_awards(ARRAY(SELECT id FROM funding_awards))`)
		exec(`SELECT p4w_report_activity(array_agg(y), array_agg(o)) FROM (
			SELECT p4w_financial_year(e.started_on) AS y, c.organisation_id AS o FROM enrolments e JOIN cohorts c ON c.id = e.cohort_id
			WHERE e.started_on IS NOT NULL
			UNION SELECT p4w_financial_year(starts_on), organisation_id FROM placements) AS k`)
		s := read()
		exec(`ROLLBACK`)
		return s
	}
	// The activity report read from the summaries, and counted from the raw rows, for each year
	// and for the reach of everyone, of each trust, of the collaboration and of its member A.
	activity := func(sql string) string {
		t.Helper()
		var out []string
		for _, year := range []int{2024, 2025} {
			for _, reach := range [][]string{nil, {"00000000-0000-7000-8000-00000000000a"}, {"00000000-0000-7000-8000-00000000000b"},
				{"00000000-0000-7000-8000-00000000000c"}, {"00000000-0000-7000-8000-00000000000a", "00000000-0000-7000-8000-00000000000c"}} {
				starts, ends := time.Date(year, time.April, 1, 0, 0, 0, 0, time.UTC), time.Date(year+1, time.March, 31, 0, 0, 0, 0, time.UTC)
				rows, err := conn.Query(ctx, sql, year, reach == nil, append([]string{}, reach...), starts, ends)
				if err != nil {
					t.Fatal(err)
				}
				var total int
				var region *string
				var we, wrl, emp int
				if _, err := pgx.ForEachRow(rows, []any{&total, &region, &we, &wrl, &emp}, func() error {
					if we+wrl+emp > 0 {
						out = append(out, fmt.Sprintf("%d %v %d %v: %d,%d,%d", year, reach, total, deref(region), we, wrl, emp))
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
		slices.Sort(out)
		return strings.Join(out, "\n")
	}
	checkActivity := func(after string) {
		t.Helper()
		if got, want := activity(postgres.ActivitySQL), activity(rawActivitySQL); got != want {
			t.Fatalf("after %s, the activity report reads\n%s\nwant (from the raw rows)\n%s", after, got, want)
		}
	}
	checkActivity("the first records")
	if got, want := read(), recount(); got != want || !strings.Contains(got, "day") || !strings.Contains(got, "activity") {
		t.Fatalf("after the first records, the summaries hold\n%s\nwant\n%s", got, want)
	}
	for _, w := range writes {
		exec(`BEGIN; SET LOCAL ROLE p4w_api; SELECT set_config('p4w.reach', '` + w.reach + `', true)`)
		exec(w.sql)
		exec(`COMMIT`)
		if got, want := read(), recount(); got != want {
			t.Fatalf("after %s, the summaries hold\n%s\nwant (a recount)\n%s", w.what, got, want)
		}
		checkActivity(w.what)
	}
}
