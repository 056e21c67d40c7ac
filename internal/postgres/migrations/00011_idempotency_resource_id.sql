-- A stored idempotent reply named the record it carried by URL path, so the service that erases a
-- participant had to know the API's paths to find the copies. It now names the record by id: ids
-- are UUIDv7 and unique across every table, and only the HTTP layer knows paths.

-- +goose Up
ALTER TABLE idempotency_keys ADD COLUMN resource_id uuid;
UPDATE idempotency_keys SET resource_id = substring(resource_path FROM '[0-9a-f-]{36}$')::uuid
    WHERE resource_path ~ '/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
DROP INDEX idempotency_keys_resource;
ALTER TABLE idempotency_keys DROP COLUMN resource_path;
CREATE INDEX idempotency_keys_resource ON idempotency_keys (resource_id) WHERE resource_id IS NOT NULL;

-- +goose Down
DROP INDEX idempotency_keys_resource;
ALTER TABLE idempotency_keys ADD COLUMN resource_path text;
UPDATE idempotency_keys SET resource_path = resource_id::text WHERE resource_id IS NOT NULL;
ALTER TABLE idempotency_keys DROP COLUMN resource_id;
CREATE INDEX idempotency_keys_resource ON idempotency_keys (resource_path);
