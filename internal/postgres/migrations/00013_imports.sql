-- Bulk imports: the job, the uploaded file (kept only while the job needs it) and the rows it
-- refused. All three are records of the submitter's organisation, under row-level security
-- like every tenant table, so another trust's job id is as unknown as a random one.

-- +goose Up
CREATE TABLE import_jobs (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    kind            text NOT NULL,
    mode            text NOT NULL CHECK (mode IN ('create', 'upsert', 'update')),
    dry_run         boolean NOT NULL,
    atomic          boolean NOT NULL,
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    submitted_by    text NOT NULL,              -- the principal's subject, re-resolved when the job runs
    scopes          text[] NOT NULL,            -- an API client's token scopes at submission
    idempotency_key text,
    size_bytes      bigint NOT NULL DEFAULT 0,
    -- Progress, committed with each batch: a retried job resumes after done_row.
    done_row        integer NOT NULL DEFAULT 0,
    done_bytes      bigint NOT NULL DEFAULT 0,
    rows_read       bigint NOT NULL DEFAULT 0,
    created         bigint NOT NULL DEFAULT 0,
    updated         bigint NOT NULL DEFAULT 0,
    unchanged       bigint NOT NULL DEFAULT 0,
    failed          bigint NOT NULL DEFAULT 0,
    failure         text,
    started_at      timestamptz,
    finished_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    version         bigint NOT NULL DEFAULT 1,
    CONSTRAINT import_jobs_idempotency_key UNIQUE (submitted_by, idempotency_key)
);
CREATE INDEX import_jobs_org ON import_jobs (organisation_id, created_at);
CREATE TRIGGER import_jobs_touch BEFORE UPDATE ON import_jobs FOR EACH ROW EXECUTE FUNCTION p4w_touch();

-- The uploaded file, in chunks of about 1 MiB, in upload order.
CREATE TABLE import_chunks (
    job_id          uuid NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
    seq             integer NOT NULL,
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    data            bytea NOT NULL,
    PRIMARY KEY (job_id, seq)
);

-- One row for each thing wrong with a refused row.
CREATE TABLE import_errors (
    job_id          uuid NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
    row_number      integer NOT NULL,
    ord             integer NOT NULL,           -- the error's place among its row's
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    column_name     text NOT NULL DEFAULT '',
    message         text NOT NULL,
    PRIMARY KEY (job_id, row_number, ord)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON import_jobs, import_chunks, import_errors TO p4w_api;

ALTER TABLE import_jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE import_jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY import_jobs_reach ON import_jobs
    USING ((SELECT p4w_reach_all()) OR organisation_id = ANY ((SELECT p4w_reach())::uuid[]))
    WITH CHECK ((SELECT p4w_reach_all()) OR organisation_id = ANY ((SELECT p4w_reach())::uuid[]));
ALTER TABLE import_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE import_chunks FORCE ROW LEVEL SECURITY;
CREATE POLICY import_chunks_reach ON import_chunks
    USING ((SELECT p4w_reach_all()) OR organisation_id = ANY ((SELECT p4w_reach())::uuid[]))
    WITH CHECK ((SELECT p4w_reach_all()) OR organisation_id = ANY ((SELECT p4w_reach())::uuid[]));
ALTER TABLE import_errors ENABLE ROW LEVEL SECURITY;
ALTER TABLE import_errors FORCE ROW LEVEL SECURITY;
CREATE POLICY import_errors_reach ON import_errors
    USING ((SELECT p4w_reach_all()) OR organisation_id = ANY ((SELECT p4w_reach())::uuid[]))
    WITH CHECK ((SELECT p4w_reach_all()) OR organisation_id = ANY ((SELECT p4w_reach())::uuid[]));

-- +goose Down
DROP TABLE import_errors, import_chunks, import_jobs;
