-- The activity report at national scale (issue 10): a financial year's work experience and
-- work-related learning placements and its distinct employability participants, by region and in
-- total, read from a summary of ~200 rows a year instead of a year's enrolments and placements.
--
--   report_activity_years: per financial year (2024 for 2024/25) and organisation, the work
--     experience and work-related learning placements starting in it (the placement's
--     organisation), and the distinct participants of the organisation itself (their
--     participants.organisation_id, their home) who started an employability programme at one
--     of its cohorts.
--   report_activity_away: per financial year and organisation, the distinct participants of
--     another organisation (a collaboration's cohort taking a member trust's participant) who
--     started an employability programme at one of its cohorts, with their home organisation.
--
-- Distinct participants across organisations do not add up: a participant may start at their
-- home trust and at its collaboration in the same year. Split this way, a participant's home
-- starts are counted once, by their home's row, and only away starts (rare) are left for the
-- report to reconcile, participant by participant, with their home's (postgres.activitySQL).
--
-- Both are recounted from the raw rows for the (year, organisation) keys a write touches, in the
-- transaction of the write, as migration 00024 recounts cohorts: idempotent, so they cannot
-- drift. A recount first takes a transaction advisory lock per key, in order, so two writers of
-- one key recount one after the other, the second with a snapshot that sees the first's commit.
-- Each key is recounted from its organisation's own rows only (the home of a participant is
-- fixed), so no recount writes another key's rows.

-- +goose Up
CREATE FUNCTION p4w_financial_year(d date) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT extract(year FROM d - interval '3 months')::integer $$;

CREATE TABLE report_activity_years (
    financial_year        integer NOT NULL,
    organisation_id       uuid NOT NULL,
    work_experience       integer NOT NULL,
    work_related_learning integer NOT NULL,
    employability_home    integer NOT NULL,
    PRIMARY KEY (financial_year, organisation_id)
);

CREATE TABLE report_activity_away (
    financial_year  integer NOT NULL,
    organisation_id uuid NOT NULL, -- the cohorts'
    participant_id  uuid NOT NULL,
    home_id         uuid NOT NULL, -- the participant's organisation
    PRIMARY KEY (financial_year, organisation_id, participant_id)
);

-- A key's recount finds its organisation's cohorts (by cohorts_org_sync), then their enrolments
-- that started in the year from this index alone, and its placements from the next.
CREATE INDEX enrolments_cohort_started ON enrolments (cohort_id, started_on) INCLUDE (participant_id) WHERE started_on IS NOT NULL;
CREATE INDEX placements_activity_org ON placements (organisation_id, starts_on) INCLUDE (kind)
    WHERE deleted_at IS NULL AND kind IN ('work_experience', 'work_related_learning');

GRANT SELECT, INSERT, UPDATE, DELETE ON report_activity_years, report_activity_away TO p4w_api;
-- +goose StatementBegin
DO $$
DECLARE
    t text;
    reach constant text := '(SELECT p4w_reach_all()) OR organisation_id = ANY ((SELECT p4w_reach())::uuid[])';
BEGIN
    FOREACH t IN ARRAY ARRAY['report_activity_years', 'report_activity_away'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I USING (%s) WITH CHECK (%s)', t || '_reach', t, reach, reach);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- p4w_report_activity recounts the keys (years[i], orgs[i]), set-based, so that recounting every
-- key (a bulk load) hashes and recounting one probes the indexes.
-- +goose StatementBegin
CREATE FUNCTION p4w_report_activity(years integer[], orgs uuid[]) RETURNS void LANGUAGE plpgsql SET p4w.reach = '*' AS $$
BEGIN
    IF coalesce(cardinality(years), 0) = 0 THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('p4w_report_activity ' || y || ' ' || o, 0))
    FROM (SELECT DISTINCT y, o FROM unnest(years, orgs) AS k (y, o) ORDER BY 1, 2) AS k;
    DELETE FROM report_activity_years r USING unnest(years, orgs) AS k (y, o)
    WHERE r.financial_year = k.y AND r.organisation_id = k.o;
    DELETE FROM report_activity_away r USING unnest(years, orgs) AS k (y, o)
    WHERE r.financial_year = k.y AND r.organisation_id = k.o;
    WITH k AS (
        SELECT DISTINCT y, o, make_date(y, 4, 1) AS starts_on, make_date(y + 1, 3, 31) AS ends_on
        FROM unnest(years, orgs) AS k (y, o) WHERE y IS NOT NULL AND o IS NOT NULL
    ), starts AS ( -- the keys' employability starts, a row per key and participant
        SELECT DISTINCT k.y, k.o, e.participant_id, p.organisation_id AS home_id
        FROM k JOIN cohorts c ON c.organisation_id = k.o
        JOIN enrolments e ON e.cohort_id = c.id
        JOIN participants p ON p.id = e.participant_id
        WHERE c.programme_id IN (SELECT id FROM programmes WHERE category = 'employability')
            AND e.started_on BETWEEN k.starts_on AND k.ends_on
    ), away AS (
        INSERT INTO report_activity_away SELECT y, o, participant_id, home_id FROM starts WHERE home_id <> o
    ), pl AS (
        SELECT k.y, k.o, count(*) FILTER (WHERE p.kind = 'work_experience') AS we,
            count(*) FILTER (WHERE p.kind = 'work_related_learning') AS wrl
        FROM k JOIN placements p ON p.organisation_id = k.o
        WHERE p.deleted_at IS NULL AND p.kind IN ('work_experience', 'work_related_learning')
            AND p.starts_on BETWEEN k.starts_on AND k.ends_on
        GROUP BY 1, 2
    ), home AS (
        SELECT y, o, count(*) AS n FROM starts WHERE home_id = o GROUP BY 1, 2
    )
    INSERT INTO report_activity_years
    SELECT k.y, k.o, coalesce(pl.we, 0), coalesce(pl.wrl, 0), coalesce(home.n, 0)
    FROM k LEFT JOIN pl USING (y, o) LEFT JOIN home USING (y, o)
    WHERE pl.we > 0 OR pl.wrl > 0 OR home.n > 0;
END
$$;
-- +goose StatementEnd

-- The triggers hand the keys their statement touched, before and after, to the function above.
-- Updates that change nothing counted recount nothing.
-- +goose StatementBegin
CREATE FUNCTION p4w_report_activity_enrolments() RETURNS trigger LANGUAGE plpgsql SET p4w.reach = '*' AS $$
DECLARE
    k record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(y) AS ys, array_agg(o) AS os INTO k FROM (
            SELECT DISTINCT p4w_financial_year(n.started_on) AS y, c.organisation_id AS o
            FROM new_rows n JOIN cohorts c ON c.id = n.cohort_id WHERE n.started_on IS NOT NULL) AS x;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(y) AS ys, array_agg(o) AS os INTO k FROM (
            SELECT DISTINCT p4w_financial_year(d.started_on) AS y, c.organisation_id AS o
            FROM old_rows d JOIN cohorts c ON c.id = d.cohort_id WHERE d.started_on IS NOT NULL) AS x;
    ELSE
        SELECT array_agg(y) AS ys, array_agg(o) AS os INTO k FROM (
            SELECT p4w_financial_year(r.started_on) AS y, c.organisation_id AS o
            FROM (SELECT d.cohort_id, d.started_on FROM old_rows d JOIN new_rows n USING (id)
                    WHERE (d.cohort_id, d.participant_id, d.started_on) IS DISTINCT FROM (n.cohort_id, n.participant_id, n.started_on)
                UNION
                SELECT n.cohort_id, n.started_on FROM old_rows d JOIN new_rows n USING (id)
                    WHERE (d.cohort_id, d.participant_id, d.started_on) IS DISTINCT FROM (n.cohort_id, n.participant_id, n.started_on)) AS r
            JOIN cohorts c ON c.id = r.cohort_id WHERE r.started_on IS NOT NULL
            GROUP BY 1, 2) AS x;
    END IF;
    PERFORM p4w_report_activity(k.ys, k.os);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION p4w_report_activity_placements() RETURNS trigger LANGUAGE plpgsql SET p4w.reach = '*' AS $$
DECLARE
    k record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(y) AS ys, array_agg(o) AS os INTO k FROM (
            SELECT DISTINCT p4w_financial_year(starts_on) AS y, organisation_id AS o FROM new_rows
            WHERE deleted_at IS NULL AND kind IN ('work_experience', 'work_related_learning')) AS x;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(y) AS ys, array_agg(o) AS os INTO k FROM (
            SELECT DISTINCT p4w_financial_year(starts_on) AS y, organisation_id AS o FROM old_rows
            WHERE deleted_at IS NULL AND kind IN ('work_experience', 'work_related_learning')) AS x;
    ELSE
        SELECT array_agg(y) AS ys, array_agg(o) AS os INTO k FROM (
            SELECT p4w_financial_year(d.starts_on) AS y, d.organisation_id AS o FROM old_rows d JOIN new_rows n USING (id)
            WHERE (d.organisation_id, d.kind, d.starts_on, d.deleted_at) IS DISTINCT FROM (n.organisation_id, n.kind, n.starts_on, n.deleted_at)
            UNION
            SELECT p4w_financial_year(n.starts_on), n.organisation_id FROM old_rows d JOIN new_rows n USING (id)
            WHERE (d.organisation_id, d.kind, d.starts_on, d.deleted_at) IS DISTINCT FROM (n.organisation_id, n.kind, n.starts_on, n.deleted_at)) AS x;
    END IF;
    PERFORM p4w_report_activity(k.ys, k.os);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- A cohort moved to another organisation or programme (not a change the API makes) moves its
-- starts; a programme's category changed (nor that) changes what its cohorts count for.
-- +goose StatementBegin
CREATE FUNCTION p4w_report_activity_cohorts() RETURNS trigger LANGUAGE plpgsql SET p4w.reach = '*' AS $$
DECLARE
    k record;
BEGIN
    SELECT array_agg(y) AS ys, array_agg(o) AS os INTO k FROM (
        SELECT DISTINCT p4w_financial_year(e.started_on) AS y, x.org AS o
        FROM (SELECT d.id, d.organisation_id AS org FROM old_rows d JOIN new_rows n USING (id)
                WHERE (d.organisation_id, d.programme_id) IS DISTINCT FROM (n.organisation_id, n.programme_id)
            UNION
            SELECT n.id, n.organisation_id FROM old_rows d JOIN new_rows n USING (id)
                WHERE (d.organisation_id, d.programme_id) IS DISTINCT FROM (n.organisation_id, n.programme_id)) AS x
        JOIN enrolments e ON e.cohort_id = x.id WHERE e.started_on IS NOT NULL) AS x;
    PERFORM p4w_report_activity(k.ys, k.os);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION p4w_report_activity_programmes() RETURNS trigger LANGUAGE plpgsql SET p4w.reach = '*' AS $$
DECLARE
    k record;
BEGIN
    SELECT array_agg(y) AS ys, array_agg(o) AS os INTO k FROM (
        SELECT DISTINCT p4w_financial_year(e.started_on) AS y, c.organisation_id AS o
        FROM old_rows d JOIN new_rows n USING (id) JOIN cohorts c ON c.programme_id = n.id JOIN enrolments e ON e.cohort_id = c.id
        WHERE d.category IS DISTINCT FROM n.category AND e.started_on IS NOT NULL) AS x;
    PERFORM p4w_report_activity(k.ys, k.os);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER enrolments_activity_insert AFTER INSERT ON enrolments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION p4w_report_activity_enrolments();
CREATE TRIGGER enrolments_activity_update AFTER UPDATE ON enrolments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION p4w_report_activity_enrolments();
CREATE TRIGGER enrolments_activity_delete AFTER DELETE ON enrolments
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION p4w_report_activity_enrolments();
CREATE TRIGGER placements_activity_insert AFTER INSERT ON placements
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION p4w_report_activity_placements();
CREATE TRIGGER placements_activity_update AFTER UPDATE ON placements
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION p4w_report_activity_placements();
CREATE TRIGGER placements_activity_delete AFTER DELETE ON placements
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION p4w_report_activity_placements();
CREATE TRIGGER cohorts_activity_update AFTER UPDATE ON cohorts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION p4w_report_activity_cohorts();
CREATE TRIGGER programmes_activity_update AFTER UPDATE ON programmes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION p4w_report_activity_programmes();

-- The summary of what is already recorded.
SELECT p4w_report_activity(array_agg(y), array_agg(o)) FROM (
    SELECT DISTINCT p4w_financial_year(e.started_on) AS y, c.organisation_id AS o FROM enrolments e JOIN cohorts c ON c.id = e.cohort_id
    WHERE e.started_on IS NOT NULL
    UNION
    SELECT p4w_financial_year(starts_on), organisation_id FROM placements) AS k;

-- +goose Down
DROP TRIGGER programmes_activity_update ON programmes;
DROP TRIGGER cohorts_activity_update ON cohorts;
DROP TRIGGER placements_activity_delete ON placements;
DROP TRIGGER placements_activity_update ON placements;
DROP TRIGGER placements_activity_insert ON placements;
DROP TRIGGER enrolments_activity_delete ON enrolments;
DROP TRIGGER enrolments_activity_update ON enrolments;
DROP TRIGGER enrolments_activity_insert ON enrolments;
DROP FUNCTION p4w_report_activity_programmes(), p4w_report_activity_cohorts(), p4w_report_activity_placements(),
    p4w_report_activity_enrolments(), p4w_report_activity(integer[], uuid[]);
DROP INDEX placements_activity_org, enrolments_cohort_started;
DROP TABLE report_activity_away, report_activity_years;
DROP FUNCTION p4w_financial_year(date);
