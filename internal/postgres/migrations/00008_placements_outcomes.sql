-- Programme delivery, second part: placements during enrolments, and outcomes (destinations).
-- Both keep a tombstone (deleted_at) when deleted, so that syncing clients see them go.

-- +goose Up
CREATE TABLE placements (
    id              uuid PRIMARY KEY,
    enrolment_id    uuid NOT NULL REFERENCES enrolments (id),
    participant_id  uuid NOT NULL REFERENCES participants (id),
    cohort_id       uuid NOT NULL REFERENCES cohorts (id),
    organisation_id uuid NOT NULL REFERENCES organisations (id), -- the enrolment's
    kind            text NOT NULL CHECK (kind IN ('placement', 'work_experience', 'work_related_learning')),
    host_department text NOT NULL CHECK (length(host_department) BETWEEN 1 AND 200),
    site            text,
    role_area       text NOT NULL CHECK (role_area IN ('facilities', 'estates', 'healthcare_support', 'administration',
                                                       'clinical_support', 'other')),
    supervisor_name text,
    starts_on       date NOT NULL,
    ends_on         date NOT NULL CHECK (ends_on >= starts_on),
    hours_per_week  double precision CHECK (hours_per_week > 0 AND hours_per_week <= 48),
    status          text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'in_progress', 'completed', 'ended_early')),
    end_reason      text,
    deleted_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    version         bigint NOT NULL DEFAULT 1,
    CHECK (status <> 'ended_early' OR end_reason IS NOT NULL)
);
CREATE INDEX placements_org_sync ON placements (organisation_id, updated_at, id);
CREATE INDEX placements_sync ON placements (updated_at, id);
CREATE INDEX placements_enrolment ON placements (enrolment_id);
CREATE TRIGGER placements_touch BEFORE UPDATE ON placements FOR EACH ROW EXECUTE FUNCTION p4w_touch();

CREATE TABLE outcomes (
    id                     uuid PRIMARY KEY,
    participant_id         uuid NOT NULL REFERENCES participants (id),
    enrolment_id           uuid REFERENCES enrolments (id),
    organisation_id        uuid NOT NULL REFERENCES organisations (id), -- the participant's
    destination            text NOT NULL CHECK (destination IN ('employment', 'apprenticeship', 'volunteering',
                                                'further_education', 'training', 'none', 'unknown')),
    sector                 text CHECK (sector IN ('nhs', 'social_care', 'other')),
    employer               text,
    role                   text,
    starts_on              date,
    ilr_code               text NOT NULL,
    sustained_3m           text CHECK (sustained_3m IN ('yes', 'no', 'not_known')),
    sustained_3m_checked_on date,
    sustained_6m           text CHECK (sustained_6m IN ('yes', 'no', 'not_known')),
    sustained_6m_checked_on date,
    deleted_at             timestamptz,
    created_at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    version                bigint NOT NULL DEFAULT 1,
    CHECK ((sustained_3m IS NULL) = (sustained_3m_checked_on IS NULL)),
    CHECK ((sustained_6m IS NULL) = (sustained_6m_checked_on IS NULL))
);
CREATE INDEX outcomes_org_sync ON outcomes (organisation_id, updated_at, id);
CREATE INDEX outcomes_sync ON outcomes (updated_at, id);
CREATE INDEX outcomes_participant ON outcomes (participant_id);
CREATE TRIGGER outcomes_touch BEFORE UPDATE ON outcomes FOR EACH ROW EXECUTE FUNCTION p4w_touch();

GRANT SELECT, INSERT, UPDATE, DELETE ON placements, outcomes TO p4w_api;

ALTER TABLE placements ENABLE ROW LEVEL SECURITY;
ALTER TABLE placements FORCE ROW LEVEL SECURITY;
CREATE POLICY placements_reach ON placements
    USING (p4w_in_reach(organisation_id)) WITH CHECK (p4w_in_reach(organisation_id));
ALTER TABLE outcomes ENABLE ROW LEVEL SECURITY;
ALTER TABLE outcomes FORCE ROW LEVEL SECURITY;
CREATE POLICY outcomes_reach ON outcomes
    USING (p4w_in_reach(organisation_id)) WITH CHECK (p4w_in_reach(organisation_id));

-- +goose Down
DROP TABLE outcomes, placements;
