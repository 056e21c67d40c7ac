-- Webhooks (issue 13): an organisation's subscriptions, the deliveries the dispatcher queues
-- for them from the outbox (change_events, migration 00020), and how far the dispatcher has
-- read the outbox. Subscriptions and deliveries are records of their organisation under
-- row-level security like every tenant table, so another trust's id is as unknown as a
-- random one.

-- +goose Up
CREATE TABLE webhook_subscriptions (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    url             text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    event_types     jsonb NOT NULL DEFAULT '[]',  -- types and patterns: participant.created, enrolment.*, *
    enabled         boolean NOT NULL DEFAULT true, -- false: paused, nothing is queued for it
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'failing')),
    failing_reason  text,
    -- The signing secret (whsec_ and base64), which p4w needs in clear to sign each delivery;
    -- shown to the organisation only when made.
    secret          text NOT NULL,
    deleted_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    version         bigint NOT NULL DEFAULT 1
);
CREATE INDEX webhook_subscriptions_org_sync ON webhook_subscriptions (organisation_id, updated_at, id);
CREATE TRIGGER webhook_subscriptions_touch BEFORE UPDATE ON webhook_subscriptions FOR EACH ROW EXECUTE FUNCTION p4w_touch();

-- One message to one subscription, with its attempts. A subscription's deliveries go out in
-- seq order, one at a time: the next waits until the one before succeeded or was given up.
CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY,
    seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id),
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    message_id      text NOT NULL,                -- webhook-id: the same on every attempt and redelivery
    event_type      text NOT NULL,
    event_seq       bigint,                       -- change_events.seq; none for a ping
    payload         jsonb NOT NULL,               -- the body sent: ids and field names, no personal data
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    locked_until    timestamptz,                  -- an attempt in flight on some replica until then
    last_status_code integer,
    last_latency_ms integer,
    last_error      text,
    delivered_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    version         bigint NOT NULL DEFAULT 1
);
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (subscription_id, seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_sync ON webhook_deliveries (subscription_id, updated_at, id);
CREATE TRIGGER webhook_deliveries_touch BEFORE UPDATE ON webhook_deliveries FOR EACH ROW EXECUTE FUNCTION p4w_touch();

-- How far the dispatcher has read change_events: the snapshot its last read saw. The next read
-- takes the events visible now that were not visible in it: those of transactions that have
-- committed since, however early their txid. So a long transaction anywhere in the cluster
-- delays only its own events, where a horizon of finished transactions (pg_snapshot_xmin)
-- would hold back everyone's. One row.
CREATE TABLE webhook_dispatch (
    id              integer PRIMARY KEY CHECK (id = 1),
    seen            pg_snapshot NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
INSERT INTO webhook_dispatch (id, seen) VALUES (1, pg_current_snapshot());

GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_subscriptions, webhook_deliveries, webhook_dispatch TO p4w_api;

ALTER TABLE webhook_subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_subscriptions FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_subscriptions_reach ON webhook_subscriptions
    USING ((SELECT p4w_reach_all()) OR organisation_id = ANY ((SELECT p4w_reach())::uuid[]))
    WITH CHECK ((SELECT p4w_reach_all()) OR organisation_id = ANY ((SELECT p4w_reach())::uuid[]));
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_deliveries_reach ON webhook_deliveries
    USING ((SELECT p4w_reach_all()) OR organisation_id = ANY ((SELECT p4w_reach())::uuid[]))
    WITH CHECK ((SELECT p4w_reach_all()) OR organisation_id = ANY ((SELECT p4w_reach())::uuid[]));
-- The position spans every organisation: the system's alone.
ALTER TABLE webhook_dispatch ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_dispatch FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_dispatch_system ON webhook_dispatch
    USING ((SELECT p4w_reach_all())) WITH CHECK ((SELECT p4w_reach_all()));

-- +goose Down
DROP TABLE webhook_dispatch, webhook_deliveries, webhook_subscriptions;
