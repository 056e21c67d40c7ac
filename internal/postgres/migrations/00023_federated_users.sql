-- Federated users: people who sign in with an identity provider their trust runs (OpenID
-- Connect, exchanged for p4w tokens at the token endpoint) instead of a p4w password. Each is a
-- user row linked by (issuer, subject), made on the first exchange, so that audit, user listing,
-- disabling and the principal's reach work as for everyone else. They have no password: an
-- empty password_hash never verifies.

-- +goose Up
ALTER TABLE users
    ADD COLUMN federated_issuer  text CHECK (length(federated_issuer) BETWEEN 1 AND 500),
    ADD COLUMN federated_subject text CHECK (length(federated_subject) BETWEEN 1 AND 255),
    ADD CONSTRAINT users_federated_both CHECK ((federated_issuer IS NULL) = (federated_subject IS NULL)),
    ADD CONSTRAINT users_federated_no_password CHECK (federated_issuer IS NULL OR password_hash = '');
CREATE UNIQUE INDEX users_federated_key ON users (federated_issuer, federated_subject) WHERE federated_issuer IS NOT NULL;

-- +goose Down
DROP INDEX users_federated_key;
ALTER TABLE users
    DROP CONSTRAINT users_federated_no_password,
    DROP CONSTRAINT users_federated_both,
    DROP COLUMN federated_subject,
    DROP COLUMN federated_issuer;
