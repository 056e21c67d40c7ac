-- The audit trail: one row for every write, in the write's own transaction. Field names only,
-- never values, so it holds no personal data and erasure leaves it as it is.

-- +goose Up
CREATE TABLE audit_events (
    id              uuid PRIMARY KEY,
    actor           text NOT NULL,
    organisation_id uuid REFERENCES organisations (id),
    action          text NOT NULL,
    resource_type   text NOT NULL,
    resource_id     text NOT NULL,
    fields          jsonb NOT NULL DEFAULT '[]',
    request_id      text NOT NULL DEFAULT '',
    at              timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    version         bigint NOT NULL DEFAULT 1
);
CREATE INDEX audit_events_org_at ON audit_events (organisation_id, at, id);
CREATE INDEX audit_events_resource ON audit_events (resource_type, resource_id);

-- +goose Down
DROP TABLE audit_events;
