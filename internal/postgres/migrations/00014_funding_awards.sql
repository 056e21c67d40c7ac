-- Funding awards: HEE's three-year funding of a trust or a collaboration to run a programme,
-- each funded year with an amount and a minimum number of participants, amounts never rising
-- from one year to the next. Cohorts are delivered under an award. Deletion leaves a tombstone.
-- The years are columns rather than a document so that reports sum and compare them in SQL
-- and the database itself refuses a rising amount.

-- +goose Up
CREATE TABLE funding_awards (
    id                     uuid PRIMARY KEY,
    organisation_id        uuid NOT NULL REFERENCES organisations (id), -- the recipient
    programme_id           uuid NOT NULL REFERENCES programmes (id),
    tender_round           text NOT NULL CHECK (tender_round ~ '^[0-9]{4}/[0-9]{2}$'),
    year1_amount_pence     bigint NOT NULL CHECK (year1_amount_pence >= 0),
    year1_min_participants integer NOT NULL CHECK (year1_min_participants >= 0),
    year2_amount_pence     bigint NOT NULL CHECK (year2_amount_pence >= 0),
    year2_min_participants integer NOT NULL CHECK (year2_min_participants >= 0),
    year3_amount_pence     bigint NOT NULL CHECK (year3_amount_pence >= 0),
    year3_min_participants integer NOT NULL CHECK (year3_min_participants >= 0),
    deleted_at             timestamptz,
    created_at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    version                bigint NOT NULL DEFAULT 1,
    CONSTRAINT funding_awards_not_rising CHECK (year2_amount_pence <= year1_amount_pence AND year3_amount_pence <= year2_amount_pence)
);
-- One live award per recipient, programme and tender round.
CREATE UNIQUE INDEX funding_awards_once ON funding_awards (organisation_id, programme_id, tender_round) WHERE deleted_at IS NULL;
CREATE INDEX funding_awards_org_sync ON funding_awards (organisation_id, updated_at, id);
CREATE INDEX funding_awards_sync ON funding_awards (updated_at, id);
CREATE TRIGGER funding_awards_touch BEFORE UPDATE ON funding_awards FOR EACH ROW EXECUTE FUNCTION p4w_touch();

ALTER TABLE cohorts ADD COLUMN funding_award_id uuid REFERENCES funding_awards (id);
CREATE INDEX cohorts_funding_award ON cohorts (funding_award_id) WHERE funding_award_id IS NOT NULL;

GRANT SELECT, INSERT, UPDATE, DELETE ON funding_awards TO p4w_api;

ALTER TABLE funding_awards ENABLE ROW LEVEL SECURITY;
ALTER TABLE funding_awards FORCE ROW LEVEL SECURITY;
-- The recipient's reach writes (in practice the national team) and reads...
CREATE POLICY funding_awards_reach ON funding_awards
    USING ((SELECT p4w_reach_all()) OR organisation_id = ANY ((SELECT p4w_reach())::uuid[]))
    WITH CHECK ((SELECT p4w_reach_all()) OR organisation_id = ANY ((SELECT p4w_reach())::uuid[]));
-- ...and a collaboration's member trusts read its awards, which they deliver cohorts under.
-- The setting holds a reach, not the caller's own organisation, so this admits the awards of
-- every collaboration a member of the reach belongs to; the application narrows it to the
-- collaborations of the caller's own organisation.
CREATE POLICY funding_awards_member_read ON funding_awards FOR SELECT
    USING (organisation_id IN (SELECT collaboration_id FROM organisation_members
                               WHERE member_id = ANY ((SELECT p4w_reach())::uuid[])));

-- +goose Down
ALTER TABLE cohorts DROP COLUMN funding_award_id;
DROP TABLE funding_awards;
