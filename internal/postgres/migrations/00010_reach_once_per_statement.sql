-- Row-level security read the reach once per row: p4w_in_reach parsed the setting into an array
-- for every row a query looked at, a quarter of the database's work on a 50-row list. The policies
-- now read it through scalar subqueries, which PostgreSQL runs once per statement (an InitPlan),
-- and compare each row's organisation with the ready array. Still fail closed: with no reach set
-- the array is empty and p4w_reach_all() is false.

-- +goose Up
CREATE FUNCTION p4w_reach_all() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('p4w.reach', true), '') = '*'
$$;

CREATE FUNCTION p4w_reach() RETURNS uuid[] LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN coalesce(current_setting('p4w.reach', true), '') IN ('', '*') THEN '{}'::uuid[]
                ELSE string_to_array(current_setting('p4w.reach', true), ',')::uuid[] END
$$;

-- +goose StatementBegin
DO $$
DECLARE
    t text;
    reach constant text := '(SELECT p4w_reach_all()) OR organisation_id = ANY ((SELECT p4w_reach())::uuid[])';
BEGIN
    -- Every tenant table's policy is named after it: participants_reach, cohorts_reach, ...
    FOR t IN SELECT tablename FROM pg_policies
             WHERE schemaname = current_schema() AND policyname = tablename || '_reach' LOOP
        EXECUTE format('ALTER POLICY %I ON %I USING (%s) WITH CHECK (%s)', t || '_reach', t, reach, reach);
    END LOOP;
END
$$;
-- +goose StatementEnd

ALTER POLICY audit_events_read ON audit_events
    USING ((SELECT p4w_reach_all()) OR organisation_id = ANY ((SELECT p4w_reach())::uuid[]));
ALTER POLICY audit_events_append ON audit_events
    WITH CHECK (organisation_id IS NULL OR (SELECT p4w_reach_all()) OR organisation_id = ANY ((SELECT p4w_reach())::uuid[]));

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOR t IN SELECT tablename FROM pg_policies
             WHERE schemaname = current_schema() AND policyname = tablename || '_reach' LOOP
        EXECUTE format('ALTER POLICY %I ON %I USING (p4w_in_reach(organisation_id)) WITH CHECK (p4w_in_reach(organisation_id))',
                       t || '_reach', t);
    END LOOP;
END
$$;
-- +goose StatementEnd
ALTER POLICY audit_events_read ON audit_events
    USING (current_setting('p4w.reach', true) = '*' OR (organisation_id IS NOT NULL AND p4w_in_reach(organisation_id)));
ALTER POLICY audit_events_append ON audit_events
    WITH CHECK (organisation_id IS NULL OR p4w_in_reach(organisation_id));
DROP FUNCTION p4w_reach();
DROP FUNCTION p4w_reach_all();
