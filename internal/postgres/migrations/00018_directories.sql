-- The two public directories of issue 10. Case studies (the Widening Participation Directory)
-- are a trust's records, within reach like the others, draft until published; guidance (the
-- Preparation for Work Directory) is the national team's, read by everyone. Both keep the
-- Markdown a person wrote and the safe HTML rendered from it when written, so that a public
-- read renders nothing. Deletion leaves a tombstone.

-- +goose Up
CREATE TABLE case_studies (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    programme_id    uuid NOT NULL REFERENCES programmes (id),
    title           text NOT NULL CHECK (title <> ''),
    summary         text NOT NULL,
    body_markdown   text NOT NULL,
    body_html       text NOT NULL,
    participant_id  uuid REFERENCES participants (id), -- the person it is about, if it names one
    status          text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    published_on    date,
    image_url       text CHECK (image_url LIKE 'https://%'),
    deleted_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    version         bigint NOT NULL DEFAULT 1,
    CONSTRAINT case_studies_published_on CHECK ((status = 'published') = (published_on IS NOT NULL))
);
CREATE INDEX case_studies_org_sync ON case_studies (organisation_id, updated_at, id);
CREATE INDEX case_studies_sync ON case_studies (updated_at, id);
CREATE INDEX case_studies_participant ON case_studies (participant_id) WHERE participant_id IS NOT NULL;
-- The public list pages the live published ones in (updated_at, id) order.
CREATE INDEX case_studies_published ON case_studies (updated_at, id) WHERE status = 'published' AND deleted_at IS NULL;
CREATE TRIGGER case_studies_touch BEFORE UPDATE ON case_studies FOR EACH ROW EXECUTE FUNCTION p4w_touch();

CREATE TABLE guidance (
    id            uuid PRIMARY KEY,
    title         text NOT NULL CHECK (title <> ''),
    audience      text NOT NULL CHECK (audience IN ('individuals', 'organisations')),
    topic         text NOT NULL,
    body_markdown text NOT NULL,
    body_html     text NOT NULL,
    links         jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(links) = 'array'),
    deleted_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    version       bigint NOT NULL DEFAULT 1
);
CREATE INDEX guidance_sync ON guidance (updated_at, id);
CREATE TRIGGER guidance_touch BEFORE UPDATE ON guidance FOR EACH ROW EXECUTE FUNCTION p4w_touch();

GRANT SELECT, INSERT, UPDATE, DELETE ON case_studies, guidance TO p4w_api;

ALTER TABLE case_studies ENABLE ROW LEVEL SECURITY;
ALTER TABLE case_studies FORCE ROW LEVEL SECURITY;
CREATE POLICY case_studies_reach ON case_studies
    USING ((SELECT p4w_reach_all()) OR organisation_id = ANY ((SELECT p4w_reach())::uuid[]))
    WITH CHECK ((SELECT p4w_reach_all()) OR organisation_id = ANY ((SELECT p4w_reach())::uuid[]));

-- Guidance belongs to no organisation: everyone reads it, the national team (every organisation
-- in reach) writes it.
ALTER TABLE guidance ENABLE ROW LEVEL SECURITY;
ALTER TABLE guidance FORCE ROW LEVEL SECURITY;
CREATE POLICY guidance_read ON guidance FOR SELECT USING (true);
CREATE POLICY guidance_write ON guidance FOR ALL
    USING ((SELECT p4w_reach_all())) WITH CHECK ((SELECT p4w_reach_all()));

-- A case study names a participant only with their consent to publishing one. When that consent
-- is withdrawn, or the participant erased, every published case study naming them goes back to
-- draft in the same transaction, and erasure also drops the link. A trigger, so that every path
-- that changes consent (the API, an import's set-based upsert) keeps the rule. It runs as its
-- owner: a collaboration's case study may name a member trust's participant, out of the reach
-- of the trust's user who withdraws the consent. Each case study it changes gets an audit event,
-- beside the participant's own event of the same transaction.
-- +goose StatementBegin
CREATE FUNCTION p4w_case_study_consent() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
DECLARE
    erased constant boolean := NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL;
BEGIN
    WITH changed AS (
        UPDATE case_studies c SET
            status = 'draft', published_on = NULL,
            participant_id = CASE WHEN erased THEN NULL ELSE c.participant_id END
        WHERE c.participant_id = NEW.id AND (c.status = 'published' OR erased)
        RETURNING c.id, c.organisation_id, c.status)
    INSERT INTO audit_events (id, actor, organisation_id, action, resource_type, resource_id, fields)
    SELECT gen_random_uuid(), 'system', organisation_id,
           CASE WHEN erased THEN 'case_study.erase' ELSE 'case_study.unpublish' END, 'case_study', id::text,
           CASE WHEN erased THEN '["participant_id", "status", "published_on"]'::jsonb
                ELSE '["status", "published_on"]'::jsonb END
    FROM changed;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER participants_case_study_consent AFTER UPDATE OF consent_case_study, erased_at ON participants
    FOR EACH ROW WHEN ((OLD.consent_case_study AND NOT NEW.consent_case_study)
                       OR (NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL))
    EXECUTE FUNCTION p4w_case_study_consent();

-- +goose Down
DROP TRIGGER participants_case_study_consent ON participants;
DROP FUNCTION p4w_case_study_consent();
DROP TABLE guidance, case_studies;
