-- Consent by purpose: an API client acts for one purpose, named after the consent purposes. A
-- trust HR system (hr_sharing) sees only the participants who agreed to sharing with HR; the
-- programme's own systems (processing) see every participant within reach. Every client
-- registered so far was a trust HR system's, or is treated as one until re-registered: the
-- default withholds rather than shares.

-- +goose Up
ALTER TABLE api_clients ADD COLUMN purpose text NOT NULL DEFAULT 'hr_sharing'
    CHECK (purpose IN ('hr_sharing', 'processing'));

-- +goose Down
ALTER TABLE api_clients DROP COLUMN purpose;
