-- Users: people who sign in with an email and a password and act within one organisation.

-- +goose Up
CREATE TABLE users (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    email           text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    password_hash   text NOT NULL,
    role            text NOT NULL CHECK (role IN ('national_admin', 'org_admin', 'coordinator', 'viewer')),
    enabled         boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    version         bigint NOT NULL DEFAULT 1,
    CONSTRAINT users_email_key UNIQUE (email)
);
CREATE INDEX users_org_sync ON users (organisation_id, updated_at, id);
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION p4w_touch();

-- +goose Down
DROP TABLE users;
