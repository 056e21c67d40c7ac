-- Row-level security: defence in depth under the application's own tenancy scope. The API runs
-- every transaction as p4w_api (neither superuser nor owner, so the policies bind it) and tells
-- PostgreSQL the principal's reach with set_config('p4w.reach', ..., true): '*' for the
-- national team, otherwise a comma-separated list of organisation ids. Unset, nothing matches.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    CREATE ROLE p4w_api NOLOGIN NOSUPERUSER NOBYPASSRLS;
EXCEPTION WHEN duplicate_object THEN
    NULL; -- roles are per cluster: another database of the cluster made it
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('GRANT p4w_api TO %I', current_user);
EXCEPTION WHEN others THEN
    NULL; -- already a member, or a superuser, who may SET ROLE to any role
END
$$;
-- +goose StatementEnd

GRANT USAGE ON SCHEMA public TO p4w_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO p4w_api;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO p4w_api;

CREATE FUNCTION p4w_in_reach(org uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT current_setting('p4w.reach', true) = '*'
        OR org::text = ANY (string_to_array(nullif(current_setting('p4w.reach', true), ''), ','))
$$;

ALTER TABLE participants ENABLE ROW LEVEL SECURITY;
ALTER TABLE participants FORCE ROW LEVEL SECURITY;
CREATE POLICY participants_reach ON participants
    USING (p4w_in_reach(organisation_id)) WITH CHECK (p4w_in_reach(organisation_id));

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_reach ON users
    USING (p4w_in_reach(organisation_id)) WITH CHECK (p4w_in_reach(organisation_id));

ALTER TABLE api_clients ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_clients FORCE ROW LEVEL SECURITY;
CREATE POLICY api_clients_reach ON api_clients
    USING (p4w_in_reach(organisation_id)) WITH CHECK (p4w_in_reach(organisation_id));

ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE refresh_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY refresh_tokens_reach ON refresh_tokens
    USING (p4w_in_reach(organisation_id)) WITH CHECK (p4w_in_reach(organisation_id));

-- Audit events of no organisation (the catalogue) are the national team's.
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_events_read ON audit_events FOR SELECT
    USING (current_setting('p4w.reach', true) = '*' OR (organisation_id IS NOT NULL AND p4w_in_reach(organisation_id)));
-- Anyone may append an event of a record it could write; nobody may change or delete one.
CREATE POLICY audit_events_append ON audit_events FOR INSERT
    WITH CHECK (organisation_id IS NULL OR p4w_in_reach(organisation_id));

-- +goose Down
DROP POLICY audit_events_append ON audit_events;
DROP POLICY audit_events_read ON audit_events;
ALTER TABLE audit_events DISABLE ROW LEVEL SECURITY;
DROP POLICY refresh_tokens_reach ON refresh_tokens;
ALTER TABLE refresh_tokens DISABLE ROW LEVEL SECURITY;
DROP POLICY api_clients_reach ON api_clients;
ALTER TABLE api_clients DISABLE ROW LEVEL SECURITY;
DROP POLICY users_reach ON users;
ALTER TABLE users DISABLE ROW LEVEL SECURITY;
DROP POLICY participants_reach ON participants;
ALTER TABLE participants DISABLE ROW LEVEL SECURITY;
DROP FUNCTION p4w_in_reach(uuid);
