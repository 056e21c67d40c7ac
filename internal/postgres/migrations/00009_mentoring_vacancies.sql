-- Programme delivery, third part: mentors, mentoring matches and check-ins; vacancies and
-- interviews (Get Started). Deletions leave tombstones for syncing clients.

-- +goose Up
CREATE TABLE mentors (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    kind            text NOT NULL CHECK (kind IN ('professional', 'peer')),
    given_name      text,
    family_name     text,
    email           text,
    participant_id  uuid UNIQUE REFERENCES participants (id), -- a peer mentor who was a participant
    trained_on      date,
    active          boolean NOT NULL DEFAULT true,
    deleted_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    version         bigint NOT NULL DEFAULT 1,
    CHECK (participant_id IS NULL OR kind = 'peer')
);
CREATE INDEX mentors_org_sync ON mentors (organisation_id, updated_at, id);
CREATE INDEX mentors_sync ON mentors (updated_at, id);
CREATE TRIGGER mentors_touch BEFORE UPDATE ON mentors FOR EACH ROW EXECUTE FUNCTION p4w_touch();

CREATE TABLE mentoring_matches (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisations (id), -- the participant's
    mentor_id       uuid NOT NULL REFERENCES mentors (id),
    participant_id  uuid NOT NULL REFERENCES participants (id),
    enrolment_id    uuid REFERENCES enrolments (id),
    starts_on       date NOT NULL,
    planned_end_on  date NOT NULL CHECK (planned_end_on >= starts_on),
    ended_on        date,
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'ended_early')),
    end_reason      text,
    deleted_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    version         bigint NOT NULL DEFAULT 1
);
CREATE INDEX mentoring_matches_org_sync ON mentoring_matches (organisation_id, updated_at, id);
CREATE INDEX mentoring_matches_sync ON mentoring_matches (updated_at, id);
CREATE INDEX mentoring_matches_participant ON mentoring_matches (participant_id);
CREATE TRIGGER mentoring_matches_touch BEFORE UPDATE ON mentoring_matches FOR EACH ROW EXECUTE FUNCTION p4w_touch();

CREATE TABLE check_ins (
    id              uuid PRIMARY KEY,
    match_id        uuid NOT NULL REFERENCES mentoring_matches (id),
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    held_on         date NOT NULL,
    minutes         integer NOT NULL CHECK (minutes BETWEEN 1 AND 480),
    mode            text NOT NULL CHECK (mode IN ('online', 'video', 'phone', 'in_person')),
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    version         bigint NOT NULL DEFAULT 1
);
CREATE INDEX check_ins_match ON check_ins (match_id, updated_at, id);
CREATE TRIGGER check_ins_touch BEFORE UPDATE ON check_ins FOR EACH ROW EXECUTE FUNCTION p4w_touch();

CREATE TABLE vacancies (
    id                       uuid PRIMARY KEY,
    organisation_id          uuid NOT NULL REFERENCES organisations (id),
    employer_name            text NOT NULL,
    employer_organisation_id uuid REFERENCES organisations (id),
    role                     text NOT NULL,
    band                     text,
    closing_on               date NOT NULL,
    status                   text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'filled')),
    deleted_at               timestamptz,
    created_at               timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at               timestamptz NOT NULL DEFAULT clock_timestamp(),
    version                  bigint NOT NULL DEFAULT 1
);
CREATE INDEX vacancies_org_sync ON vacancies (organisation_id, updated_at, id);
CREATE INDEX vacancies_sync ON vacancies (updated_at, id);
CREATE TRIGGER vacancies_touch BEFORE UPDATE ON vacancies FOR EACH ROW EXECUTE FUNCTION p4w_touch();

CREATE TABLE interviews (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisations (id), -- the participant's
    vacancy_id      uuid NOT NULL REFERENCES vacancies (id),
    participant_id  uuid NOT NULL REFERENCES participants (id),
    enrolment_id    uuid REFERENCES enrolments (id),
    held_on         date NOT NULL,
    result          text NOT NULL DEFAULT 'pending' CHECK (result IN ('pending', 'offered', 'not_offered', 'withdrawn')),
    deleted_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    version         bigint NOT NULL DEFAULT 1
);
CREATE INDEX interviews_org_sync ON interviews (organisation_id, updated_at, id);
CREATE INDEX interviews_sync ON interviews (updated_at, id);
CREATE INDEX interviews_participant ON interviews (participant_id);
CREATE TRIGGER interviews_touch BEFORE UPDATE ON interviews FOR EACH ROW EXECUTE FUNCTION p4w_touch();

GRANT SELECT, INSERT, UPDATE, DELETE ON mentors, mentoring_matches, check_ins, vacancies, interviews TO p4w_api;

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['mentors', 'mentoring_matches', 'check_ins', 'vacancies', 'interviews'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I USING (p4w_in_reach(organisation_id)) WITH CHECK (p4w_in_reach(organisation_id))',
                       t || '_reach', t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE interviews, vacancies, check_ins, mentoring_matches, mentors;
