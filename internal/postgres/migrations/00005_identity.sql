-- API clients, refresh tokens and sign-in throttling.

-- +goose Up
CREATE TABLE api_clients (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    client_id       text NOT NULL UNIQUE,
    secret_hash     bytea NOT NULL,                 -- SHA-256 of a 256-bit random secret
    scopes          jsonb NOT NULL DEFAULT '[]',
    revoked_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    version         bigint NOT NULL DEFAULT 1
);
CREATE INDEX api_clients_org_sync ON api_clients (organisation_id, updated_at, id);
CREATE TRIGGER api_clients_touch BEFORE UPDATE ON api_clients FOR EACH ROW EXECUTE FUNCTION p4w_touch();

-- Refresh tokens rotate: each works once. family_id ties together every token descended from
-- one sign-in, so that presenting a used token revokes them all.
CREATE TABLE refresh_tokens (
    id              uuid PRIMARY KEY,
    family_id       uuid NOT NULL,
    user_id         uuid NOT NULL REFERENCES users (id),
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    token_hash      bytea NOT NULL UNIQUE,
    expires_at      timestamptz NOT NULL,
    used_at         timestamptz,
    revoked_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    version         bigint NOT NULL DEFAULT 1
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
CREATE TRIGGER refresh_tokens_touch BEFORE UPDATE ON refresh_tokens FOR EACH ROW EXECUTE FUNCTION p4w_touch();

-- Failed sign-ins by account name (a hash of the email, known or not, so that throttling tells
-- nobody which accounts exist and keeps no email of a stranger).
CREATE TABLE sign_in_throttle (
    key             text PRIMARY KEY,
    failures        integer NOT NULL DEFAULT 0,
    blocked_until   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    version         bigint NOT NULL DEFAULT 1
);
CREATE TRIGGER sign_in_throttle_touch BEFORE UPDATE ON sign_in_throttle FOR EACH ROW EXECUTE FUNCTION p4w_touch();

-- +goose Down
DROP TABLE sign_in_throttle, refresh_tokens, api_clients;
