-- An import's file may be CSV or NDJSON: the job keeps which, as the upload's Content-Type
-- said, so that whichever replica runs it reads the file as it was sent.

-- +goose Up
ALTER TABLE import_jobs ADD COLUMN format text NOT NULL DEFAULT 'csv' CHECK (format IN ('csv', 'ndjson'));

-- +goose Down
ALTER TABLE import_jobs DROP COLUMN format;
