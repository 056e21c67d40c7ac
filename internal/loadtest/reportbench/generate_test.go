package reportbench_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
)

// The shape of the generated data set: trusts in the seven regions, each cohort's enrolments,
// and the four financial years the cohorts start in (April 2022 to March 2026).
const (
	trusts      = 200
	cohortSize  = 15
	firstStart  = "2022-04-04"
	spreadDays  = 1400 // cohorts start over this many days from firstStart
	benchTagOrg = 0x0b0e0001
)

// generate fills the migrated, empty database behind conn with a national data set of n
// enrolments, with set-based SQL as the tables' owner: no API, but every constraint, foreign
// key and trigger of the schema in force, and the columns the API would fill (created_at,
// updated_at, version, places_taken) filled as it would. Ids are shaped as UUIDv7s, increasing
// in the order of insertion, as p4w's own are. It returns the statements' timings on stderr.
//
// The enrolments are spread over cohorts of about fifteen: enrolment j is in cohort j mod C,
// and cohort c belongs to trust c mod 200 (or, for a few, to a collaboration of that trust), so
// the cohorts of a trust run through the four years in order. About 15% of participants enrol
// twice (two cohorts of the same organisation); an outcome is recorded for 60% of completions
// and 25% of withdrawals after starting, one in ten linked to no enrolment and one in twenty
// followed by a second outcome; placements for employability, work experience and work-related
// learning starts, mentoring matches with check-ins for the mentoring programmes.
func generate(ctx context.Context, conn *pgx.Conn, n int) error {
	cohorts := (n + cohortSize - 1) / cohortSize
	slots := (cohorts + trusts - 1) / trusts
	// A funded year's minimum: about 90% of what a trust's Step into Work cohorts take in a year.
	minimum := max(1, n/trusts*35/100/4*9/10)
	steps := []struct{ what, sql string }{
		{"helpers", `
CREATE FUNCTION pg_temp.bid(tag bigint, n bigint) RETURNS uuid IMMUTABLE LANGUAGE sql AS
$$ SELECT (lpad(to_hex(tag), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid $$;
CREATE FUNCTION pg_temp.h(n bigint, salt bigint) RETURNS int IMMUTABLE LANGUAGE sql AS
$$ SELECT ((n * 2654435761 + salt * 40503) % 1000)::int $$;
CREATE TEMP TABLE bench_regions AS SELECT * FROM unnest(ARRAY['east_of_england', 'london', 'midlands',
	'north_east_and_yorkshire', 'north_west', 'south_east', 'south_west']) WITH ORDINALITY AS r (region, i);
-- The catalogue's programmes (migration 00002), their share of cohorts (out of 20) and length in days.
CREATE TEMP TABLE bench_programmes (slot int, id uuid, code text, days int);
INSERT INTO bench_programmes SELECT s, p.id, p.code, d FROM (VALUES
	('step_into_work', 0, 7, 56), ('get_into', 7, 3, 35), ('get_started', 10, 2, 3), ('professional_mentoring', 12, 2, 150),
	('street_doctors_peer_mentoring', 14, 1, 90), ('work_experience', 15, 3, 10), ('work_related_learning', 18, 2, 1)
) AS v (code, first, n, d) JOIN programmes p USING (code), generate_series(v.first, v.first + v.n - 1) AS s`},

		{"secondary indexes dropped", `
-- A bulk load builds an index faster from the loaded rows than row by row: the indexes that back
-- no constraint are dropped here and built again, as they were, at the end. The primary keys,
-- unique and foreign keys, checks and triggers stay in force throughout.
SET maintenance_work_mem = '256MB';
SET work_mem = '64MB';
CREATE TEMP TABLE bench_indexes AS
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relnamespace = current_schema()::regnamespace
	AND t.relname IN ('cohorts', 'participants', 'enrolments', 'outcomes', 'placements', 'mentoring_matches', 'check_ins')
	AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid);
DO $$
DECLARE r record;
BEGIN
	FOR r IN SELECT name FROM bench_indexes LOOP
		EXECUTE 'DROP INDEX ' || r.name;
	END LOOP;
END
$$`},

		{"organisations", fmt.Sprintf(`
INSERT INTO organisations (id, kind, name, ods_code, region, created_at, updated_at)
SELECT pg_temp.bid(%[1]d, t), 'trust', 'Bench ' || t || ' Teaching Hospitals NHS Foundation Trust', 'B' || lpad(t::text, 4, '0'),
	(SELECT region FROM bench_regions WHERE i = 1 + t %% 7), timestamptz '2022-01-10 09:00Z', timestamptz '2022-01-10 09:00Z'
FROM generate_series(0, %[2]d - 1) AS t;
-- Two collaborations, each of three trusts of a region: trusts 0, 7, 14 and 1, 8, 15.
INSERT INTO organisations (id, kind, name, region, created_at, updated_at)
SELECT pg_temp.bid(%[1]d, 1000 + k), 'collaboration', 'Bench Collaboration ' || k,
	(SELECT region FROM bench_regions WHERE i = 1 + k %% 7), timestamptz '2022-01-10 09:00Z', timestamptz '2022-01-10 09:00Z'
FROM generate_series(0, 1) AS k;
INSERT INTO organisation_members (collaboration_id, member_id, created_at, updated_at)
SELECT pg_temp.bid(%[1]d, 1000 + k), pg_temp.bid(%[1]d, k + 7 * m), timestamptz '2022-01-10 09:00Z', timestamptz '2022-01-10 09:00Z'
FROM generate_series(0, 1) AS k, generate_series(0, 2) AS m`, benchTagOrg, trusts)},

		{"funding awards", fmt.Sprintf(`
-- Every trust's Step into Work award of tender round 2022/23; the even trusts' Get Into award of
-- 2023/24; each collaboration's Step into Work award of 2023/24. Amounts fall year on year.
INSERT INTO funding_awards (id, organisation_id, programme_id, tender_round, year1_amount_pence, year1_min_participants,
	year2_amount_pence, year2_min_participants, year3_amount_pence, year3_min_participants, created_at, updated_at)
SELECT pg_temp.bid(%[1]d + 1, a.n), pg_temp.bid(%[1]d, a.org), p.id, a.round, 15000000, %[2]d, 12000000, %[2]d * 9 / 10, 9000000, %[2]d * 8 / 10,
	timestamptz '2022-02-01 09:00Z', timestamptz '2022-02-01 09:00Z'
FROM (SELECT t AS n, t AS org, 'step_into_work' AS code, '2022/23' AS round FROM generate_series(0, %[3]d - 1) AS t
	UNION ALL SELECT 1000 + t, t, 'get_into', '2023/24' FROM generate_series(0, %[3]d - 1, 2) AS t
	UNION ALL SELECT 2000 + k, 1000 + k, 'step_into_work', '2023/24' FROM generate_series(0, 1) AS k) AS a
JOIN programmes p ON p.code = a.code`, benchTagOrg, minimum, trusts)},

		{"cohorts (plan)", fmt.Sprintf(`
CREATE TEMP TABLE bench_c AS
SELECT c, c %% %[2]d AS trust, c / %[2]d AS k, p.id AS programme_id, p.code, s.starts_on,
	s.starts_on + p.days - 1 AS ends_on,
	-- a few cohorts of trusts 0 and 1 are run by their collaboration
	CASE WHEN c %% %[2]d < 2 AND (c / %[2]d) %% 4 = 3 THEN 1000 + c %% %[2]d ELSE c %% %[2]d END AS org
FROM generate_series(0, %[3]d - 1) AS c
JOIN bench_programmes p ON p.slot = (c / %[2]d * 7 + c) %% 20
CROSS JOIN LATERAL (SELECT date '%[4]s' + (c / %[2]d * %[5]d / %[6]d) + (c %% 13) AS starts_on) AS s;
ALTER TABLE bench_c ADD PRIMARY KEY (c);
ALTER TABLE bench_c ADD COLUMN award_id uuid;
UPDATE bench_c SET award_id = CASE
	WHEN org >= 1000 AND code = 'step_into_work' AND starts_on BETWEEN '2023-04-01' AND '2026-03-31' THEN pg_temp.bid(%[1]d + 1, 2000 + org - 1000)
	WHEN org < 1000 AND code = 'step_into_work' AND starts_on BETWEEN '2022-04-01' AND '2025-03-31' THEN pg_temp.bid(%[1]d + 1, org)
	WHEN org < 1000 AND code = 'get_into' AND org %% 2 = 0 AND starts_on BETWEEN '2023-04-01' AND '2026-03-31' THEN pg_temp.bid(%[1]d + 1, 1000 + org)
END;
ANALYZE bench_c`, benchTagOrg, trusts, cohorts, firstStart, spreadDays, slots)},

		{"enrolments (plan)", fmt.Sprintf(`
CREATE TEMP TABLE bench_e AS
SELECT j, c.c, c.trust, c.org, c.code, c.starts_on AS cohort_starts, c.ends_on AS cohort_ends,
	pg_temp.h(j, 1) AS h,
	-- the odd slots' enrolments reuse, three times in ten, the participant of the enrolment 200 before
	-- (same trust, the slot before: always a participant of their own)
	(c.k %% 2 = 1 AND c.c >= %[2]d AND pg_temp.h(j, 2) < 300) AS reuse
FROM generate_series(0, %[3]d - 1) AS j JOIN bench_c c ON c.c = j %% %[4]d;
ALTER TABLE bench_e ADD COLUMN status text, ADD COLUMN started_on date;
UPDATE bench_e SET status = CASE
		WHEN h < 50 THEN 'referred' WHEN h < 80 THEN 'enrolled' WHEN h < 120 THEN 'withdrawn_early'
		WHEN h < 270 THEN 'withdrawn' WHEN cohort_ends > date '2026-06-30' THEN 'active' ELSE 'completed' END;
UPDATE bench_e SET started_on = least(cohort_starts + j %% 3, cohort_ends) WHERE status IN ('withdrawn', 'active', 'completed');
ALTER TABLE bench_e ADD PRIMARY KEY (j);
ANALYZE bench_e`, benchTagOrg, trusts, n, cohorts)},

		{"cohorts", fmt.Sprintf(`
INSERT INTO cohorts (id, programme_id, organisation_id, name, starts_on, ends_on, capacity, places_taken, role_areas, status,
	funding_award_id, created_at, updated_at, version)
SELECT pg_temp.bid(%[1]d + 2, c.c), c.programme_id, pg_temp.bid(%[1]d, c.org), 'Bench cohort ' || c.c, c.starts_on, c.ends_on,
	%[2]d + 5, coalesce(t.taken, 0), '["healthcare_support", "facilities", "administration"]',
	CASE WHEN c.ends_on < date '2026-06-30' THEN 'finished' ELSE 'running' END, c.award_id,
	c.starts_on - 60 + time '09:00', c.ends_on + time '17:00', 2
FROM bench_c c LEFT JOIN (SELECT c, count(*) AS taken FROM bench_e WHERE status IN ('enrolled', 'active', 'completed') GROUP BY c) t USING (c)
ORDER BY c.c`, benchTagOrg, cohortSize)},

		{"participants", fmt.Sprintf(`
INSERT INTO participants (id, organisation_id, external_ref, given_name, family_name, date_of_birth, email, postcode,
	benefit_status, referral_source, consent_processing, consent_processing_at, consent_hr_sharing, consent_hr_sharing_at,
	consent_case_study, consent_case_study_at, erased_at, created_at, updated_at)
SELECT pg_temp.bid(%[1]d + 3, e.j), pg_temp.bid(%[1]d, e.trust),
	CASE WHEN NOT erased THEN 'BENCH-' || e.j END,
	CASE WHEN NOT erased THEN (ARRAY['Olivia', 'Amelia', 'Aisha', 'Priya', 'Noah', 'Kwame', 'Tomasz', 'Rhys', 'Niamh', 'Leo'])[1 + e.j %% 10] END,
	CASE WHEN NOT erased THEN (ARRAY['Smith', 'Jones', 'Patel', 'Khan', 'Okafor', 'Nowak', 'Evans', 'Murphy', 'Begum', 'Hughes', 'Singh'])[1 + e.j %% 11] END,
	CASE WHEN NOT erased THEN e.cohort_starts - ((CASE WHEN e.code IN ('get_into', 'get_started', 'professional_mentoring', 'street_doctors_peer_mentoring')
		THEN 17 + e.h %% 12 ELSE 20 + e.h %% 35 END) * 365 + e.j %% 300) END,
	CASE WHEN NOT erased THEN 'bench.' || e.j || '@example.org' END,
	CASE WHEN NOT erased THEN (ARRAY['L3 5TR', 'M13 9WL', 'LS1 3EX', 'NE1 4LP', 'B15 2TH', 'SE1 7EH', 'PL6 8DH'])[1 + e.j %% 7] END,
	CASE WHEN e.code = 'step_into_work' THEN (ARRAY['universal_credit', 'jobseekers_allowance', 'employment_and_support_allowance'])[1 + e.j %% 3]
		ELSE (ARRAY['none', 'universal_credit', 'unknown'])[1 + e.j %% 3] END,
	(ARRAY['jobcentre_plus', 'self_referral', 'princes_trust', 'school_or_college', 'local_authority'])[1 + e.j %% 5],
	true, e.cohort_starts - 30 + time '10:00', e.j %% 3 = 0, CASE WHEN e.j %% 3 = 0 THEN e.cohort_starts - 30 + time '10:00' END,
	e.j %% 50 = 0, CASE WHEN e.j %% 50 = 0 THEN e.cohort_starts - 30 + time '10:00' END,
	CASE WHEN erased THEN e.cohort_ends + 400 + time '12:00' END,
	e.cohort_starts - 30 + time '10:00', CASE WHEN erased THEN e.cohort_ends + 400 + time '12:00' ELSE e.cohort_starts - 30 + time '10:00' END
FROM bench_e e CROSS JOIN LATERAL (SELECT e.j %% 199 = 5 AS erased) AS x
WHERE NOT e.reuse ORDER BY e.j`, benchTagOrg)},

		{"enrolments", fmt.Sprintf(`
INSERT INTO enrolments (id, cohort_id, participant_id, organisation_id, status, referred_on, enrolled_on, started_on, completed_on,
	withdrawn_on, withdrawal_reason, created_at, updated_at, version)
SELECT pg_temp.bid(%[1]d + 4, e.j), pg_temp.bid(%[1]d + 2, e.c), pg_temp.bid(%[1]d + 3, CASE WHEN e.reuse THEN e.j - %[2]d ELSE e.j END),
	pg_temp.bid(%[1]d, e.org), CASE e.status WHEN 'withdrawn_early' THEN 'withdrawn' ELSE e.status END,
	e.cohort_starts - 21,
	CASE WHEN e.status <> 'referred' AND NOT (e.status = 'withdrawn_early' AND e.h %% 2 = 0) THEN e.cohort_starts - 7 END,
	e.started_on,
	CASE WHEN e.status = 'completed' THEN e.cohort_ends END,
	w.on,
	CASE WHEN w.on IS NOT NULL THEN (ARRAY['found employment', 'health reasons', 'caring responsibilities', 'moved away',
		'lost contact', 'not the right programme'])[1 + e.h %% 6] END,
	e.cohort_starts - 21 + time '11:00', coalesce(w.on, CASE WHEN e.status = 'completed' THEN e.cohort_ends END, e.started_on, e.cohort_starts - 7) + time '16:00',
	CASE e.status WHEN 'referred' THEN 1 WHEN 'enrolled' THEN 2 WHEN 'withdrawn_early' THEN 2 WHEN 'active' THEN 3 ELSE 4 END
FROM bench_e e CROSS JOIN LATERAL (SELECT CASE
		WHEN e.status = 'withdrawn_early' THEN e.cohort_starts - 3
		WHEN e.status = 'withdrawn' THEN e.started_on + e.h %% greatest(1, e.cohort_ends - e.started_on + 1) END AS on) AS w
ORDER BY e.j`, benchTagOrg, trusts)},

		{"outcomes", fmt.Sprintf(`
INSERT INTO outcomes (id, participant_id, enrolment_id, organisation_id, destination, sector, employer, role, starts_on, ilr_code,
	sustained_3m, sustained_3m_checked_on, sustained_6m, sustained_6m_checked_on, deleted_at, created_at, updated_at)
SELECT pg_temp.bid(%[1]d + 5, o.n), o.participant_id, o.enrolment_id, o.org, o.destination,
	CASE WHEN o.destination IN ('employment', 'apprenticeship') THEN (ARRAY['nhs', 'nhs', 'social_care', 'other'])[1 + o.n %% 4] END,
	NULL, NULL, o.starts_on,
	CASE o.destination
		WHEN 'employment' THEN (ARRAY['EMP1', 'EMP2', 'EMP4', 'EMP5'])[1 + o.n %% 4]
		WHEN 'apprenticeship' THEN 'EDU2'
		WHEN 'volunteering' THEN 'VOL1'
		WHEN 'further_education' THEN (ARRAY['EDU1', 'EDU3', 'EDU4'])[1 + o.n %% 3]
		WHEN 'training' THEN (ARRAY['EDU5', 'EDU6', 'EDU1'])[1 + o.n %% 3]
		WHEN 'none' THEN (ARRAY['NPE1', 'NPE2', 'GAP1', 'OTH1'])[1 + o.n %% 4]
		ELSE 'NTK1' END,
	s3.result, CASE WHEN s3.result IS NOT NULL THEN o.starts_on + 91 END,
	s6.result, CASE WHEN s6.result IS NOT NULL THEN o.starts_on + 182 END,
	CASE WHEN o.n %% 100 = 7 THEN o.starts_on + 30 + time '12:00' END,
	o.starts_on + time '09:30', coalesce(CASE WHEN s6.result IS NOT NULL THEN o.starts_on + 182 END,
		CASE WHEN s3.result IS NOT NULL THEN o.starts_on + 91 END, o.starts_on) + time '09:30'
FROM (
	SELECT 2 * e.j + x.second AS n, pg_temp.bid(%[1]d + 3, CASE WHEN e.reuse THEN e.j - %[2]d ELSE e.j END) AS participant_id,
		CASE WHEN x.second = 0 AND e.j %% 10 <> 3 THEN pg_temp.bid(%[1]d + 4, e.j) END AS enrolment_id,
		pg_temp.bid(%[1]d, e.trust) AS org,
		CASE WHEN x.second = 1 THEN 'employment' ELSE (CASE
			WHEN d < 40 THEN 'employment' WHEN d < 50 THEN 'apprenticeship' WHEN d < 58 THEN 'volunteering'
			WHEN d < 68 THEN 'further_education' WHEN d < 80 THEN 'training' WHEN d < 92 THEN 'none' ELSE 'unknown' END) END AS destination,
		coalesce(CASE WHEN e.status = 'completed' THEN e.cohort_ends END, e.started_on + 7) + 14 + 120 * x.second AS starts_on
	FROM bench_e e CROSS JOIN LATERAL (SELECT pg_temp.h(e.j, 3) / 10 AS d, pg_temp.h(e.j, 4) AS p) AS r
	JOIN LATERAL (SELECT 0 AS second UNION ALL SELECT 1 WHERE e.j %% 20 = 1) AS x ON true
	WHERE (e.status = 'completed' AND r.p < 600) OR (e.status = 'withdrawn' AND r.p < 250)
) AS o
CROSS JOIN LATERAL (SELECT o.destination NOT IN ('none', 'unknown') AS positive, pg_temp.h(o.n, 5) AS s) AS q
CROSS JOIN LATERAL (SELECT CASE WHEN q.positive AND o.starts_on + 91 <= date '2026-11-30'
	THEN CASE WHEN q.s < 700 THEN 'yes' WHEN q.s < 900 THEN 'no' ELSE 'not_known' END END AS result) AS s3
CROSS JOIN LATERAL (SELECT CASE WHEN s3.result = 'yes' AND o.starts_on + 182 <= date '2026-11-30'
	THEN CASE WHEN q.s < 600 THEN 'yes' WHEN q.s < 680 THEN 'no' ELSE 'not_known' END END AS result) AS s6
ORDER BY o.n`, benchTagOrg, trusts)},

		{"placements", fmt.Sprintf(`
INSERT INTO placements (id, enrolment_id, participant_id, cohort_id, organisation_id, kind, host_department, site, role_area,
	supervisor_name, starts_on, ends_on, hours_per_week, status, end_reason, deleted_at, created_at, updated_at)
SELECT pg_temp.bid(%[1]d + 6, e.j), pg_temp.bid(%[1]d + 4, e.j), pg_temp.bid(%[1]d + 3, CASE WHEN e.reuse THEN e.j - %[2]d ELSE e.j END),
	pg_temp.bid(%[1]d + 2, e.c), pg_temp.bid(%[1]d, e.org),
	CASE e.code WHEN 'work_experience' THEN 'work_experience' WHEN 'work_related_learning' THEN 'work_related_learning' ELSE 'placement' END,
	(ARRAY['Ward 7, Elderly Care', 'Estates and Facilities', 'Outpatients', 'Pharmacy', 'Medical Records', 'Catering'])[1 + e.j %% 6],
	'Bench General Hospital',
	(ARRAY['facilities', 'estates', 'healthcare_support', 'administration', 'clinical_support', 'other'])[1 + pg_temp.h(e.j, 6) %% 6],
	NULL, p.starts_on, greatest(p.starts_on, CASE WHEN e.status = 'withdrawn' THEN e.started_on + e.h %% greatest(1, e.cohort_ends - e.started_on + 1) ELSE e.cohort_ends END),
	CASE WHEN e.code IN ('step_into_work', 'get_into') THEN 22.5 ELSE 30 END,
	CASE e.status WHEN 'withdrawn' THEN 'ended_early' WHEN 'active' THEN 'in_progress' ELSE 'completed' END,
	CASE WHEN e.status = 'withdrawn' THEN 'the participant withdrew' END,
	CASE WHEN e.j %% 100 = 11 THEN e.cohort_ends + time '12:00' END,
	e.started_on + time '10:00', e.cohort_ends + time '17:00'
FROM bench_e e CROSS JOIN LATERAL (SELECT least(e.started_on + CASE WHEN e.code = 'step_into_work' THEN 7 ELSE 0 END, e.cohort_ends) AS starts_on) AS p
WHERE e.started_on IS NOT NULL AND e.code IN ('step_into_work', 'get_into', 'work_experience', 'work_related_learning')
ORDER BY e.j`, benchTagOrg, trusts)},

		{"mentoring", fmt.Sprintf(`
INSERT INTO mentors (id, organisation_id, kind, given_name, family_name, trained_on, created_at, updated_at)
SELECT pg_temp.bid(%[1]d + 7, t * 10 + m), pg_temp.bid(%[1]d, t), CASE WHEN m < 7 THEN 'professional' ELSE 'peer' END,
	'Mentor', 'Bench ' || (t * 10 + m), date '2022-01-15', timestamptz '2022-01-15 09:00Z', timestamptz '2022-01-15 09:00Z'
FROM generate_series(0, %[3]d - 1) AS t, generate_series(0, 9) AS m;
INSERT INTO mentoring_matches (id, organisation_id, mentor_id, participant_id, enrolment_id, starts_on, planned_end_on, ended_on, status,
	end_reason, created_at, updated_at)
SELECT pg_temp.bid(%[1]d + 8, e.j), pg_temp.bid(%[1]d, e.trust),
	pg_temp.bid(%[1]d + 7, e.trust * 10 + CASE WHEN e.code = 'professional_mentoring' THEN e.j %% 7 ELSE 7 + e.j %% 3 END),
	pg_temp.bid(%[1]d + 3, CASE WHEN e.reuse THEN e.j - %[2]d ELSE e.j END), pg_temp.bid(%[1]d + 4, e.j),
	e.started_on, e.cohort_ends, CASE e.status WHEN 'completed' THEN e.cohort_ends WHEN 'withdrawn' THEN e.started_on + 20 END,
	CASE e.status WHEN 'completed' THEN 'completed' WHEN 'withdrawn' THEN 'ended_early' ELSE 'active' END,
	CASE WHEN e.status = 'withdrawn' THEN 'the participant withdrew' END,
	e.started_on + time '10:00', coalesce(CASE e.status WHEN 'completed' THEN e.cohort_ends WHEN 'withdrawn' THEN e.started_on + 20 END, e.started_on) + time '17:00'
FROM bench_e e
WHERE e.started_on IS NOT NULL AND e.code IN ('professional_mentoring', 'street_doctors_peer_mentoring')
ORDER BY e.j;
INSERT INTO check_ins (id, match_id, organisation_id, held_on, minutes, mode, created_at, updated_at)
SELECT pg_temp.bid(%[1]d + 9, 3 * e.j + k), pg_temp.bid(%[1]d + 8, e.j), pg_temp.bid(%[1]d, e.trust), e.started_on + 14 * (k + 1),
	30 + 15 * k, (ARRAY['online', 'video', 'phone', 'in_person'])[1 + (e.j + k) %% 4],
	e.started_on + 14 * (k + 1) + time '18:00', e.started_on + 14 * (k + 1) + time '18:00'
FROM bench_e e, generate_series(0, 2) AS k
WHERE e.started_on IS NOT NULL AND e.code IN ('professional_mentoring', 'street_doctors_peer_mentoring')
	AND (e.status <> 'withdrawn' OR k = 0)
ORDER BY e.j, k`, benchTagOrg, trusts, trusts)},

		{"secondary indexes built", `
DO $$
DECLARE r record;
BEGIN
	FOR r IN SELECT def FROM bench_indexes LOOP
		EXECUTE r.def;
	END LOOP;
END
$$`},
		{"clean-up", `DROP TABLE bench_e, bench_c, bench_programmes, bench_regions, bench_indexes`},
		{"vacuum analyze", `VACUUM ANALYZE`},
	}
	for _, s := range steps {
		start := time.Now()
		if _, err := conn.Exec(ctx, s.sql); err != nil {
			return fmt.Errorf("generate %s: %w", s.what, err)
		}
		fmt.Fprintf(os.Stderr, "bench-reports: generated %s in %s\n", s.what, time.Since(start).Round(time.Millisecond))
	}
	return nil
}
