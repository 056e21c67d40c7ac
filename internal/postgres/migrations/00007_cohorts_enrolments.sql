-- Programme delivery, first part: cohorts (runs of a programme) and enrolments in them.

-- +goose Up
CREATE TABLE cohorts (
    id                  uuid PRIMARY KEY,
    programme_id        uuid NOT NULL REFERENCES programmes (id),
    organisation_id     uuid NOT NULL REFERENCES organisations (id),
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    starts_on           date NOT NULL,
    ends_on             date NOT NULL CHECK (ends_on >= starts_on),
    capacity            integer NOT NULL CHECK (capacity > 0),
    -- Places taken (enrolled, active, completed), kept in step by the same transaction that
    -- moves an enrolment, under this row's lock: the database itself refuses an overfull cohort.
    places_taken        integer NOT NULL DEFAULT 0 CHECK (places_taken >= 0),
    role_areas          jsonb NOT NULL DEFAULT '[]',
    status              text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'running', 'finished', 'cancelled')),
    delivery_partner_id uuid REFERENCES organisations (id),
    funding_award_ref   text,
    created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    version             bigint NOT NULL DEFAULT 1,
    CONSTRAINT cohorts_capacity CHECK (places_taken <= capacity)
);
CREATE INDEX cohorts_org_sync ON cohorts (organisation_id, updated_at, id);
CREATE INDEX cohorts_sync ON cohorts (updated_at, id);
CREATE TRIGGER cohorts_touch BEFORE UPDATE ON cohorts FOR EACH ROW EXECUTE FUNCTION p4w_touch();

CREATE TABLE enrolments (
    id                          uuid PRIMARY KEY,
    cohort_id                   uuid NOT NULL REFERENCES cohorts (id),
    participant_id              uuid NOT NULL REFERENCES participants (id),
    organisation_id             uuid NOT NULL REFERENCES organisations (id), -- the cohort's
    status                      text NOT NULL CHECK (status IN ('referred', 'enrolled', 'active', 'completed', 'withdrawn')),
    referred_on                 date,
    enrolled_on                 date,
    started_on                  date,
    completed_on                date,
    withdrawn_on                date,
    withdrawal_reason           text,
    eligibility_override_reason text,
    history                     jsonb NOT NULL DEFAULT '[]',
    created_at                  timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at                  timestamptz NOT NULL DEFAULT clock_timestamp(),
    version                     bigint NOT NULL DEFAULT 1,
    CONSTRAINT enrolments_once UNIQUE (cohort_id, participant_id),
    CHECK (status <> 'withdrawn' OR withdrawal_reason IS NOT NULL)
);
CREATE INDEX enrolments_org_sync ON enrolments (organisation_id, updated_at, id);
CREATE INDEX enrolments_sync ON enrolments (updated_at, id);
CREATE INDEX enrolments_participant ON enrolments (participant_id);
CREATE TRIGGER enrolments_touch BEFORE UPDATE ON enrolments FOR EACH ROW EXECUTE FUNCTION p4w_touch();

GRANT SELECT, INSERT, UPDATE, DELETE ON cohorts, enrolments TO p4w_api;

ALTER TABLE cohorts ENABLE ROW LEVEL SECURITY;
ALTER TABLE cohorts FORCE ROW LEVEL SECURITY;
CREATE POLICY cohorts_reach ON cohorts
    USING (p4w_in_reach(organisation_id)) WITH CHECK (p4w_in_reach(organisation_id));
ALTER TABLE enrolments ENABLE ROW LEVEL SECURITY;
ALTER TABLE enrolments FORCE ROW LEVEL SECURITY;
CREATE POLICY enrolments_reach ON enrolments
    USING (p4w_in_reach(organisation_id)) WITH CHECK (p4w_in_reach(organisation_id));

-- +goose Down
DROP TABLE enrolments, cohorts;
