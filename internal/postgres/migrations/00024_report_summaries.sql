-- The funder reports at national scale (issue 10's performance part, make bench-reports).
--
-- Indexes for the one-award reads of a highlight report (its placements by cohort, the mentoring
-- matches of its enrolments), outcomes by enrolment for the summaries below, and the activity
-- report's year of starts.
--
-- Two summary tables, kept correct by statement-level triggers in the transaction of every
-- write that changes what they count; no report reads a stale figure, and no job refreshes
-- them.
--   report_outcome_days: the outcome analytics' figures of the enrolments that started, a row
--     per cohort and start date, with the cohort's organisation, programme and award, so that a
--     report reads this table alone. Every measure of an outcome report adds up enrolment by
--     enrolment (an enrolment's outcomes are those linked to it or to none), so any grouping
--     by the cohort's keys (programme, organisation, region, award) or the start date's
--     quarter, and any filter on them, sums these rows: ~2.5 rows a cohort instead of ~15
--     enrolments and their outcomes.
--   report_award_years: per funding award and funded year, the participants engaged and those
--     of them with a positive outcome (the highlight report's conversion): the ROI report sums
--     them instead of recounting every award's enrolments and outcomes.
-- A write recomputes the rows of the cohorts and awards it touches, from the raw rows, rather
-- than adding deltas: recomputing is idempotent, so it cannot drift. It first locks those
-- cohorts' and awards' rows (FOR NO KEY UPDATE, which foreign-key checks do not wait on), so
-- two transactions touching the same cohort recompute one after the other, the second seeing
-- the first's committed rows (READ COMMITTED takes a new snapshot for the recompute after the
-- lock). The functions run with the reach '*' (SET p4w.reach), as they count a cohort's
-- enrolments whichever trust's user wrote; they return nothing to the caller.

-- +goose Up
CREATE INDEX placements_cohort ON placements (cohort_id);
CREATE INDEX mentoring_matches_enrolment ON mentoring_matches (enrolment_id) WHERE enrolment_id IS NOT NULL;
CREATE INDEX outcomes_enrolment ON outcomes (enrolment_id) WHERE enrolment_id IS NOT NULL;
-- The activity report's year: the enrolments that started in it (read from the index alone, the
-- organisation for row-level security included), and
-- the work experience and work-related learning placements starting in it.
CREATE INDEX enrolments_started ON enrolments (started_on) INCLUDE (cohort_id, participant_id, organisation_id) WHERE started_on IS NOT NULL;
CREATE INDEX placements_activity ON placements (starts_on) INCLUDE (organisation_id, kind)
    WHERE deleted_at IS NULL AND kind IN ('work_experience', 'work_related_learning');

CREATE TABLE report_outcome_days (
    cohort_id         uuid NOT NULL,
    started_on        date NOT NULL,
    organisation_id   uuid NOT NULL, -- the cohort's keys, so that a report reads this table alone;
    programme_id      uuid NOT NULL, -- organisation_id is also row-level security's, as on the rows counted
    funding_award_id  uuid,
    started           integer NOT NULL,
    completed         integer NOT NULL,
    withdrawn         integer NOT NULL,
    converted         integer NOT NULL, -- started enrolments with a live positive outcome
    employment        integer NOT NULL, -- live outcomes of each positive destination
    apprenticeship    integer NOT NULL,
    volunteering      integer NOT NULL,
    further_education integer NOT NULL,
    training          integer NOT NULL,
    checked_3m        integer NOT NULL, -- positive outcomes with the 3-month check recorded
    held_3m           integer NOT NULL, -- of which still in post
    checked_6m        integer NOT NULL,
    held_6m           integer NOT NULL,
    PRIMARY KEY (cohort_id, started_on)
);

-- report_outcome_days rolled up by quarter of the start date: what a report reads when it groups
-- by no cohort and its dates, if any, are whole quarters (a financial year is four), ~15 times
-- fewer rows. Kept by the same function, by adding what a cohort's day rows lose and gain.
CREATE TABLE report_outcome_quarters (
    organisation_id   uuid NOT NULL,
    programme_id      uuid NOT NULL,
    funding_award_id  uuid,
    quarter           date NOT NULL, -- its first day
    started           integer NOT NULL,
    completed         integer NOT NULL,
    withdrawn         integer NOT NULL,
    converted         integer NOT NULL,
    employment        integer NOT NULL,
    apprenticeship    integer NOT NULL,
    volunteering      integer NOT NULL,
    further_education integer NOT NULL,
    training          integer NOT NULL,
    checked_3m        integer NOT NULL,
    held_3m           integer NOT NULL,
    checked_6m        integer NOT NULL,
    held_6m           integer NOT NULL,
    CONSTRAINT report_outcome_quarters_key UNIQUE NULLS NOT DISTINCT (organisation_id, programme_id, funding_award_id, quarter)
);
-- The rows a recount empties, removed after it.
CREATE INDEX report_outcome_quarters_empty ON report_outcome_quarters (organisation_id) WHERE started = 0;

CREATE TABLE report_award_years (
    funding_award_id uuid NOT NULL,
    funded_year      integer NOT NULL CHECK (funded_year BETWEEN 1 AND 3),
    organisation_id  uuid NOT NULL, -- the recipient's
    engaged          integer NOT NULL,
    engaged_positive integer NOT NULL,
    PRIMARY KEY (funding_award_id, funded_year)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON report_outcome_days, report_outcome_quarters, report_award_years TO p4w_api;
-- +goose StatementBegin
DO $$
DECLARE
    t text;
    reach constant text := '(SELECT p4w_reach_all()) OR organisation_id = ANY ((SELECT p4w_reach())::uuid[])';
BEGIN
    FOREACH t IN ARRAY ARRAY['report_outcome_days', 'report_outcome_quarters', 'report_award_years'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I USING (%s) WITH CHECK (%s)', t || '_reach', t, reach, reach);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- p4w_report_cohorts recomputes the report_outcome_days rows of cohorts ids, their share of
-- report_outcome_quarters, and the report_award_years rows of the awards they are delivered under.
-- +goose StatementBegin
CREATE FUNCTION p4w_report_cohorts(ids uuid[]) RETURNS void LANGUAGE plpgsql SET p4w.reach = '*' AS $$
BEGIN
    IF coalesce(cardinality(ids), 0) = 0 THEN
        RETURN;
    END IF;
    PERFORM 1 FROM cohorts WHERE id = ANY (ids) ORDER BY id FOR NO KEY UPDATE;
    -- The quarters take the cohorts' rows out, by adding their negation (an upsert, safe beside
    -- other writers of the same quarter: it adds to the row as last committed), and back in below.
    INSERT INTO report_outcome_quarters AS q (organisation_id, programme_id, funding_award_id, quarter, started, completed, withdrawn, converted, employment, apprenticeship, volunteering, further_education, training, checked_3m, held_3m, checked_6m, held_6m)
    SELECT organisation_id, programme_id, funding_award_id, date_trunc('quarter', started_on)::date, -sum(started), -sum(completed), -sum(withdrawn), -sum(converted), -sum(employment), -sum(apprenticeship), -sum(volunteering), -sum(further_education), -sum(training), -sum(checked_3m), -sum(held_3m), -sum(checked_6m), -sum(held_6m)
    FROM report_outcome_days WHERE cohort_id = ANY (ids)
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (organisation_id, programme_id, funding_award_id, quarter) DO UPDATE SET
        started = q.started + excluded.started, completed = q.completed + excluded.completed, withdrawn = q.withdrawn + excluded.withdrawn, converted = q.converted + excluded.converted, employment = q.employment + excluded.employment, apprenticeship = q.apprenticeship + excluded.apprenticeship, volunteering = q.volunteering + excluded.volunteering, further_education = q.further_education + excluded.further_education, training = q.training + excluded.training, checked_3m = q.checked_3m + excluded.checked_3m, held_3m = q.held_3m + excluded.held_3m, checked_6m = q.checked_6m + excluded.checked_6m, held_6m = q.held_6m + excluded.held_6m;
    DELETE FROM report_outcome_days WHERE cohort_id = ANY (ids);
    -- Set-based: the live positive outcomes of the cohorts' participants tallied per enrolment
    -- they are linked to (or none), then joined to the enrolments, so that recounting every
    -- cohort (a bulk load) hashes, and recounting one probes the indexes.
    INSERT INTO report_outcome_days
    WITH e AS (
        SELECT e.id, e.cohort_id, e.participant_id, e.started_on, e.completed_on, e.withdrawn_on
        FROM enrolments e
        WHERE e.cohort_id = ANY (ids) AND e.started_on IS NOT NULL
    ), po AS (
        SELECT o.participant_id, o.enrolment_id, count(*) AS n,
            count(*) FILTER (WHERE o.destination = 'employment') AS employment,
            count(*) FILTER (WHERE o.destination = 'apprenticeship') AS apprenticeship,
            count(*) FILTER (WHERE o.destination = 'volunteering') AS volunteering,
            count(*) FILTER (WHERE o.destination = 'further_education') AS further_education,
            count(*) FILTER (WHERE o.destination = 'training') AS training,
            count(o.sustained_3m) AS checked_3m, count(*) FILTER (WHERE o.sustained_3m = 'yes') AS held_3m,
            count(o.sustained_6m) AS checked_6m, count(*) FILTER (WHERE o.sustained_6m = 'yes') AS held_6m
        FROM outcomes o
        WHERE o.participant_id IN (SELECT participant_id FROM e) AND o.deleted_at IS NULL
            AND o.destination IN ('employment', 'apprenticeship', 'volunteering', 'further_education', 'training')
        GROUP BY o.participant_id, o.enrolment_id
    )
    SELECT e.cohort_id, e.started_on, c.organisation_id, c.programme_id, c.funding_award_id, count(*), count(e.completed_on), count(e.withdrawn_on),
        count(*) FILTER (WHERE l.n > 0 OR u.n > 0),
        coalesce(sum(l.employment), 0) + coalesce(sum(u.employment), 0),
        coalesce(sum(l.apprenticeship), 0) + coalesce(sum(u.apprenticeship), 0),
        coalesce(sum(l.volunteering), 0) + coalesce(sum(u.volunteering), 0),
        coalesce(sum(l.further_education), 0) + coalesce(sum(u.further_education), 0),
        coalesce(sum(l.training), 0) + coalesce(sum(u.training), 0),
        coalesce(sum(l.checked_3m), 0) + coalesce(sum(u.checked_3m), 0), coalesce(sum(l.held_3m), 0) + coalesce(sum(u.held_3m), 0),
        coalesce(sum(l.checked_6m), 0) + coalesce(sum(u.checked_6m), 0), coalesce(sum(l.held_6m), 0) + coalesce(sum(u.held_6m), 0)
    FROM e JOIN cohorts c ON c.id = e.cohort_id
    LEFT JOIN po l ON l.enrolment_id = e.id AND l.participant_id = e.participant_id
    LEFT JOIN po u ON u.enrolment_id IS NULL AND u.participant_id = e.participant_id
    GROUP BY e.cohort_id, e.started_on, c.organisation_id, c.programme_id, c.funding_award_id;
    INSERT INTO report_outcome_quarters AS q (organisation_id, programme_id, funding_award_id, quarter, started, completed, withdrawn, converted, employment, apprenticeship, volunteering, further_education, training, checked_3m, held_3m, checked_6m, held_6m)
    SELECT organisation_id, programme_id, funding_award_id, date_trunc('quarter', started_on)::date, sum(started), sum(completed), sum(withdrawn), sum(converted), sum(employment), sum(apprenticeship), sum(volunteering), sum(further_education), sum(training), sum(checked_3m), sum(held_3m), sum(checked_6m), sum(held_6m)
    FROM report_outcome_days WHERE cohort_id = ANY (ids)
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (organisation_id, programme_id, funding_award_id, quarter) DO UPDATE SET
        started = q.started + excluded.started, completed = q.completed + excluded.completed, withdrawn = q.withdrawn + excluded.withdrawn, converted = q.converted + excluded.converted, employment = q.employment + excluded.employment, apprenticeship = q.apprenticeship + excluded.apprenticeship, volunteering = q.volunteering + excluded.volunteering, further_education = q.further_education + excluded.further_education, training = q.training + excluded.training, checked_3m = q.checked_3m + excluded.checked_3m, held_3m = q.held_3m + excluded.held_3m, checked_6m = q.checked_6m + excluded.checked_6m, held_6m = q.held_6m + excluded.held_6m;
    DELETE FROM report_outcome_quarters WHERE started = 0;
    PERFORM p4w_report_awards(ARRAY(SELECT DISTINCT funding_award_id FROM cohorts WHERE id = ANY (ids) AND funding_award_id IS NOT NULL));
END
$$;
-- +goose StatementEnd

-- p4w_report_awards recomputes the report_award_years rows of awards ids: for each funded year
-- (April to March from the tender round's first year), the participants with an enrolment under
-- the award that reached active by the year's end and did not complete or withdraw before its
-- start, and those of them with a live positive outcome linked to one of the award's
-- enrolments or to none: the highlight report's definitions.
-- +goose StatementBegin
CREATE FUNCTION p4w_report_awards(ids uuid[]) RETURNS void LANGUAGE plpgsql SET p4w.reach = '*' AS $$
BEGIN
    IF coalesce(cardinality(ids), 0) = 0 THEN
        RETURN;
    END IF;
    PERFORM 1 FROM funding_awards WHERE id = ANY (ids) ORDER BY id FOR NO KEY UPDATE;
    DELETE FROM report_award_years WHERE funding_award_id = ANY (ids);
    INSERT INTO report_award_years
    WITH y AS (
        SELECT a.id, a.organisation_id, n, make_date(split_part(a.tender_round, '/', 1)::int + n - 1, 4, 1) AS starts_on
        FROM funding_awards a CROSS JOIN generate_series(1, 3) AS n
        WHERE a.id = ANY (ids)
    ), ae AS (
        SELECT c.funding_award_id AS award_id, e.id, e.participant_id, e.started_on,
            coalesce(e.completed_on, e.withdrawn_on, 'infinity'::date) AS ended_on
        FROM enrolments e JOIN cohorts c ON c.id = e.cohort_id
        WHERE c.funding_award_id = ANY (ids)
    ), engaged AS (
        SELECT DISTINCT y.id AS award_id, y.n, ae.participant_id
        FROM y JOIN ae ON ae.award_id = y.id
        WHERE ae.started_on <= (y.starts_on + interval '1 year' - interval '1 day')::date AND ae.ended_on >= y.starts_on
    ), positive AS (
        SELECT ae.award_id, o.participant_id FROM outcomes o JOIN ae ON ae.id = o.enrolment_id AND ae.participant_id = o.participant_id
        WHERE o.deleted_at IS NULL AND o.destination IN ('employment', 'apprenticeship', 'volunteering', 'further_education', 'training')
        UNION
        SELECT ae.award_id, o.participant_id FROM outcomes o JOIN ae ON ae.participant_id = o.participant_id
        WHERE o.enrolment_id IS NULL AND o.deleted_at IS NULL
            AND o.destination IN ('employment', 'apprenticeship', 'volunteering', 'further_education', 'training')
    )
    SELECT y.id, y.n, y.organisation_id, count(g.participant_id), count(p.participant_id)
    FROM y LEFT JOIN engaged g ON g.award_id = y.id AND g.n = y.n
    LEFT JOIN positive p ON p.award_id = g.award_id AND p.participant_id = g.participant_id
    GROUP BY y.id, y.n, y.organisation_id;
END
$$;
-- +goose StatementEnd

-- The triggers: one a table and event (a trigger with transition tables takes one event),
-- each handing the cohorts or awards its statement touched to the functions above. Updates
-- that change nothing counted (a name, a withdrawal reason erased) recompute nothing.
-- +goose StatementBegin
CREATE FUNCTION p4w_report_enrolments() RETURNS trigger LANGUAGE plpgsql SET p4w.reach = '*' AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM p4w_report_cohorts(ARRAY(SELECT DISTINCT cohort_id FROM new_rows WHERE started_on IS NOT NULL));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM p4w_report_cohorts(ARRAY(SELECT DISTINCT cohort_id FROM old_rows));
    ELSE
        PERFORM p4w_report_cohorts(ARRAY(
            SELECT o.cohort_id FROM old_rows o JOIN new_rows n USING (id)
            WHERE (o.cohort_id, o.participant_id, o.started_on, o.completed_on, o.withdrawn_on)
                IS DISTINCT FROM (n.cohort_id, n.participant_id, n.started_on, n.completed_on, n.withdrawn_on)
            UNION
            SELECT n.cohort_id FROM old_rows o JOIN new_rows n USING (id)
            WHERE (o.cohort_id, o.participant_id, o.started_on, o.completed_on, o.withdrawn_on)
                IS DISTINCT FROM (n.cohort_id, n.participant_id, n.started_on, n.completed_on, n.withdrawn_on)));
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- An outcome counts for every enrolment of its participant (those linked to none) or for the one
-- it is linked to; either way, its participant's cohorts are recomputed.
-- +goose StatementBegin
CREATE FUNCTION p4w_report_outcomes() RETURNS trigger LANGUAGE plpgsql SET p4w.reach = '*' AS $$
DECLARE
    people uuid[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        people := ARRAY(SELECT DISTINCT participant_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        people := ARRAY(SELECT DISTINCT participant_id FROM old_rows);
    ELSE
        people := ARRAY(
            SELECT o.participant_id FROM old_rows o JOIN new_rows n USING (id)
            WHERE (o.participant_id, o.enrolment_id, o.destination, o.sustained_3m, o.sustained_6m, o.deleted_at)
                IS DISTINCT FROM (n.participant_id, n.enrolment_id, n.destination, n.sustained_3m, n.sustained_6m, n.deleted_at)
            UNION
            SELECT n.participant_id FROM old_rows o JOIN new_rows n USING (id)
            WHERE (o.participant_id, o.enrolment_id, o.destination, o.sustained_3m, o.sustained_6m, o.deleted_at)
                IS DISTINCT FROM (n.participant_id, n.enrolment_id, n.destination, n.sustained_3m, n.sustained_6m, n.deleted_at));
    END IF;
    IF cardinality(people) > 0 THEN
        PERFORM p4w_report_cohorts(ARRAY(SELECT DISTINCT cohort_id FROM enrolments WHERE participant_id = ANY (people)));
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- A cohort moved to another organisation, programme or award (or removed) changes where its
-- figures go.
-- +goose StatementBegin
CREATE FUNCTION p4w_report_cohort_changes() RETURNS trigger LANGUAGE plpgsql SET p4w.reach = '*' AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM p4w_report_cohorts(ARRAY(SELECT id FROM old_rows));
        PERFORM p4w_report_awards(ARRAY(SELECT DISTINCT funding_award_id FROM old_rows WHERE funding_award_id IS NOT NULL));
        RETURN NULL;
    END IF;
    PERFORM p4w_report_cohorts(ARRAY(
        SELECT n.id FROM old_rows o JOIN new_rows n USING (id)
        WHERE (o.organisation_id, o.programme_id, o.funding_award_id) IS DISTINCT FROM (n.organisation_id, n.programme_id, n.funding_award_id)));
    PERFORM p4w_report_awards(ARRAY(
        SELECT o.funding_award_id FROM old_rows o JOIN new_rows n USING (id)
        WHERE o.funding_award_id IS DISTINCT FROM n.funding_award_id AND o.funding_award_id IS NOT NULL));
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- A new award has its three years (nothing engaged yet); a tender round changed moves them.
-- +goose StatementBegin
CREATE FUNCTION p4w_report_award_changes() RETURNS trigger LANGUAGE plpgsql SET p4w.reach = '*' AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM p4w_report_awards(ARRAY(SELECT id FROM new_rows));
    ELSE
        PERFORM p4w_report_awards(ARRAY(
            SELECT n.id FROM old_rows o JOIN new_rows n USING (id)
            WHERE (o.tender_round, o.organisation_id) IS DISTINCT FROM (n.tender_round, n.organisation_id)));
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER enrolments_report_insert AFTER INSERT ON enrolments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION p4w_report_enrolments();
CREATE TRIGGER enrolments_report_update AFTER UPDATE ON enrolments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION p4w_report_enrolments();
CREATE TRIGGER enrolments_report_delete AFTER DELETE ON enrolments
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION p4w_report_enrolments();
CREATE TRIGGER outcomes_report_insert AFTER INSERT ON outcomes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION p4w_report_outcomes();
CREATE TRIGGER outcomes_report_update AFTER UPDATE ON outcomes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION p4w_report_outcomes();
CREATE TRIGGER outcomes_report_delete AFTER DELETE ON outcomes
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION p4w_report_outcomes();
CREATE TRIGGER cohorts_report_update AFTER UPDATE ON cohorts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION p4w_report_cohort_changes();
CREATE TRIGGER cohorts_report_delete AFTER DELETE ON cohorts
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION p4w_report_cohort_changes();
CREATE TRIGGER funding_awards_report_insert AFTER INSERT ON funding_awards
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION p4w_report_award_changes();
CREATE TRIGGER funding_awards_report_update AFTER UPDATE ON funding_awards
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION p4w_report_award_changes();

-- The summaries of what is already recorded.
SELECT p4w_report_cohorts(ARRAY(SELECT id FROM cohorts));
SELECT p4w_report_awards(ARRAY(SELECT id FROM funding_awards));

-- +goose Down
DROP TRIGGER funding_awards_report_update ON funding_awards;
DROP TRIGGER funding_awards_report_insert ON funding_awards;
DROP TRIGGER cohorts_report_delete ON cohorts;
DROP TRIGGER cohorts_report_update ON cohorts;
DROP TRIGGER outcomes_report_delete ON outcomes;
DROP TRIGGER outcomes_report_update ON outcomes;
DROP TRIGGER outcomes_report_insert ON outcomes;
DROP TRIGGER enrolments_report_delete ON enrolments;
DROP TRIGGER enrolments_report_update ON enrolments;
DROP TRIGGER enrolments_report_insert ON enrolments;
DROP FUNCTION p4w_report_award_changes(), p4w_report_cohort_changes(), p4w_report_outcomes(), p4w_report_enrolments(),
    p4w_report_cohorts(uuid[]), p4w_report_awards(uuid[]);
DROP TABLE report_award_years, report_outcome_quarters, report_outcome_days;
DROP INDEX placements_activity, enrolments_started, outcomes_enrolment, mentoring_matches_enrolment, placements_cohort;
