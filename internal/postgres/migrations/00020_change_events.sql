-- The outbox of changes: one row for every change to a record, written in the change's own
-- transaction by a trigger on audit_events (every write is audited in its transaction, the
-- set-based imports and erasures included), read by GET /v1/changes and by webhook delivery.
-- Like the audit trail it holds ids, types and field names, never values.
--
-- Order: a row's place is (txid, seq). txid is the transaction that wrote it; seq orders its
-- rows. A reader returns only rows with txid below its snapshot's xmin (every transaction below
-- that has finished), so a transaction that commits late cannot later add a row behind a
-- position already read: its txid is at or above the horizon until it finishes.

-- +goose Up
CREATE TABLE change_events (
    seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    txid            xid8 NOT NULL DEFAULT pg_current_xact_id(),
    organisation_id uuid REFERENCES organisations (id),
    event_type      text NOT NULL,
    resource_type   text NOT NULL,
    resource_id     text NOT NULL,
    fields          jsonb NOT NULL DEFAULT '[]',
    at              timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX change_events_position ON change_events (txid, seq);
-- A trust's feed: its own changes in order, without reading other trusts'.
CREATE INDEX change_events_organisation_position ON change_events (organisation_id, txid, seq);

-- The audit action <type>.<verb> becomes the event <type>.created, .updated, .erased or
-- .deleted; any other verb (a status change of an enrolment, a member added to a
-- collaboration, a case study unpublished) is an update. Of an import only its end is an event.
-- Sign-ins, users and API clients are not records and make none.
-- +goose StatementBegin
CREATE FUNCTION p4w_change_events() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
BEGIN
    INSERT INTO change_events (organisation_id, event_type, resource_type, resource_id, fields, at)
    SELECT a.organisation_id,
           CASE WHEN a.action = 'import.finish' THEN 'import.completed'
                ELSE a.resource_type || '.' || CASE split_part(a.action, '.', 2)
                    WHEN 'create' THEN 'created' WHEN 'erase' THEN 'erased' WHEN 'delete' THEN 'deleted'
                    ELSE 'updated' END END,
           a.resource_type, a.resource_id, a.fields, a.at
    FROM added a
    WHERE a.action LIKE a.resource_type || '.%'
      AND a.resource_type IN ('participant', 'enrolment', 'placement', 'outcome', 'mentoring_match', 'check_in',
                              'mentor', 'cohort', 'vacancy', 'interview', 'case_study', 'funding_award',
                              'organisation', 'programme', 'guidance', 'import')
      AND (a.resource_type <> 'import' OR a.action = 'import.finish')
    ORDER BY a.at, a.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- One statement of a set-based import audits thousands of rows: one trigger call for the
-- statement, not one a row.
CREATE TRIGGER audit_events_change_events AFTER INSERT ON audit_events
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION p4w_change_events();

-- Readable within the reach, as the audit trail: events of no organisation (the catalogue, the
-- guidance) are the national team's. Appended by the trigger under the writer's reach; nobody
-- changes or deletes one.
GRANT SELECT, INSERT ON change_events TO p4w_api;
REVOKE UPDATE, DELETE, TRUNCATE ON change_events FROM p4w_api;
ALTER TABLE change_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE change_events FORCE ROW LEVEL SECURITY;
CREATE POLICY change_events_read ON change_events FOR SELECT
    USING ((SELECT p4w_reach_all()) OR organisation_id = ANY ((SELECT p4w_reach())::uuid[]));
CREATE POLICY change_events_append ON change_events FOR INSERT
    WITH CHECK (organisation_id IS NULL OR (SELECT p4w_reach_all()) OR organisation_id = ANY ((SELECT p4w_reach())::uuid[]));

-- +goose Down
DROP TRIGGER audit_events_change_events ON audit_events;
DROP FUNCTION p4w_change_events();
DROP TABLE change_events;
