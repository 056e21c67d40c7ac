-- Public reading of the opportunities trusts offer (the Open Referral UK endpoints, no token).
-- Public requests run as p4w_public, not p4w_api: a role that may read only the public columns
-- of organisations, programmes and cohorts, and of cohorts only those open for referral. It has
-- no privilege on participants, users or any other table, so a mistake in a public query fails
-- instead of leaking; and it sets no reach, so the tenant policies (_reach) match nothing.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    CREATE ROLE p4w_public NOLOGIN NOSUPERUSER NOBYPASSRLS;
EXCEPTION WHEN duplicate_object THEN
    NULL; -- roles are per cluster: another database of the cluster made it
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('GRANT p4w_public TO %I', current_user);
EXCEPTION WHEN others THEN
    NULL; -- already a member, or a superuser, who may SET ROLE to any role
END
$$;
-- +goose StatementEnd

GRANT USAGE ON SCHEMA public TO p4w_public;
GRANT SELECT (id, kind, name, ods_code, region, updated_at) ON organisations TO p4w_public;
GRANT SELECT (id, name, category, description, min_age, max_age, updated_at) ON programmes TO p4w_public;
GRANT SELECT (id, programme_id, organisation_id, name, starts_on, ends_on, capacity, places_taken, status, updated_at)
    ON cohorts TO p4w_public;

-- A cohort is open for referral while planned or running and not yet ended; finished,
-- cancelled and past cohorts are not public.
CREATE POLICY cohorts_open_for_referral ON cohorts FOR SELECT TO p4w_public
    USING (status IN ('planned', 'running') AND ends_on >= current_date);

-- +goose Down
DROP POLICY cohorts_open_for_referral ON cohorts;
REVOKE ALL ON cohorts, programmes, organisations FROM p4w_public;
REVOKE USAGE ON SCHEMA public FROM p4w_public;
