-- The spine: organisations, the programme catalogue, participants and idempotency keys.
-- Every table has created_at, updated_at and a row version; p4w_touch() keeps the last two
-- honest on every UPDATE, whoever issues it.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION p4w_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := clock_timestamp();
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TABLE organisations (
    id          uuid PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('national', 'trust', 'collaboration', 'partner')),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    ods_code    text UNIQUE CHECK (ods_code ~ '^[A-Z0-9]{3,6}$'),
    region      text CHECK (region IN ('east_of_england', 'london', 'midlands', 'north_east_and_yorkshire',
                                       'north_west', 'south_east', 'south_west')),
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    version     bigint NOT NULL DEFAULT 1
);
CREATE INDEX organisations_sync ON organisations (updated_at, id);
CREATE TRIGGER organisations_touch BEFORE UPDATE ON organisations FOR EACH ROW EXECUTE FUNCTION p4w_touch();

-- A collaboration's member trusts. Kinds are checked by the domain; the keys by the database.
CREATE TABLE organisation_members (
    collaboration_id uuid NOT NULL REFERENCES organisations (id),
    member_id        uuid NOT NULL REFERENCES organisations (id),
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    version          bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (collaboration_id, member_id),
    CHECK (collaboration_id <> member_id)
);
CREATE INDEX organisation_members_member ON organisation_members (member_id);
CREATE TRIGGER organisation_members_touch BEFORE UPDATE ON organisation_members FOR EACH ROW EXECUTE FUNCTION p4w_touch();

CREATE TABLE programmes (
    id                  uuid PRIMARY KEY,
    code                text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9_]{1,62}$'),
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    category            text NOT NULL CHECK (category IN ('work_experience', 'work_related_learning', 'employability', 'mentoring')),
    description         text NOT NULL DEFAULT '',
    min_age             integer NOT NULL CHECK (min_age BETWEEN 14 AND 100),
    max_age             integer CHECK (max_age BETWEEN 14 AND 100 AND max_age >= min_age),
    requires_benefit    boolean NOT NULL DEFAULT false,
    min_duration_days   integer CHECK (min_duration_days > 0),
    max_duration_days   integer CHECK (max_duration_days >= min_duration_days),
    delivery_partner_id uuid REFERENCES organisations (id),
    created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    version             bigint NOT NULL DEFAULT 1
);
CREATE INDEX programmes_sync ON programmes (updated_at, id);
CREATE TRIGGER programmes_touch BEFORE UPDATE ON programmes FOR EACH ROW EXECUTE FUNCTION p4w_touch();

CREATE TABLE participants (
    id                      uuid PRIMARY KEY,
    organisation_id         uuid NOT NULL REFERENCES organisations (id),
    external_ref            text,
    given_name              text,
    family_name             text,
    date_of_birth           date,
    email                   text,
    phone                   text,
    postcode                text,
    benefit_status          text NOT NULL DEFAULT 'unknown' CHECK (benefit_status IN ('none', 'universal_credit',
                                'jobseekers_allowance', 'employment_and_support_allowance', 'income_support',
                                'other_working_age_benefit', 'unknown')),
    referral_source         text,
    consent_processing      boolean NOT NULL DEFAULT false,
    consent_processing_at   timestamptz,
    consent_hr_sharing      boolean NOT NULL DEFAULT false,
    consent_hr_sharing_at   timestamptz,
    consent_case_study      boolean NOT NULL DEFAULT false,
    consent_case_study_at   timestamptz,
    erased_at               timestamptz,
    created_at              timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at              timestamptz NOT NULL DEFAULT clock_timestamp(),
    version                 bigint NOT NULL DEFAULT 1,
    CONSTRAINT participants_external_ref_key UNIQUE (organisation_id, external_ref),
    -- An erased record keeps no personal data, whatever code writes it.
    CHECK (erased_at IS NULL OR (external_ref IS NULL AND given_name IS NULL AND family_name IS NULL
           AND date_of_birth IS NULL AND email IS NULL AND phone IS NULL AND postcode IS NULL))
);
CREATE INDEX participants_sync ON participants (updated_at, id);
CREATE INDEX participants_org_sync ON participants (organisation_id, updated_at, id);
CREATE INDEX participants_family_name ON participants (lower(family_name) text_pattern_ops);
CREATE INDEX participants_given_name ON participants (lower(given_name) text_pattern_ops);
CREATE TRIGGER participants_touch BEFORE UPDATE ON participants FOR EACH ROW EXECUTE FUNCTION p4w_touch();

-- Idempotency-Key records: the first answer to a POST, stored in the transaction of its write.
CREATE TABLE idempotency_keys (
    scope           text NOT NULL,              -- the caller
    key             text NOT NULL,
    request_hash    bytea NOT NULL,             -- method, path and body; never the body itself
    status          integer NOT NULL,
    response_header jsonb NOT NULL,
    response_body   bytea NOT NULL,
    resource_path   text,                       -- Location of what was created, so erasure can find it
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    version         bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_resource ON idempotency_keys (resource_path);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys, participants, programmes, organisation_members, organisations;
DROP FUNCTION p4w_touch();
