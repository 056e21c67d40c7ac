-- outcome.sustainment_due: the outbox event that an outcome's 3- or 6-month sustainment check
-- has fallen due, so that an HR system is told when to look rather than polling
-- /v1/outcomes?sustainment_due_before=. Housekeeping writes one per outcome and check
-- (postgres.SustainmentDue); this index finds the ones already written.

-- +goose Up
CREATE INDEX change_events_sustainment_due ON change_events (resource_id, fields)
    WHERE event_type = 'outcome.sustainment_due';

-- +goose Down
DROP INDEX change_events_sustainment_due;
