-- Idempotency-Key on creates: the first answer to a create, kept for a day, so a client whose answer
-- was lost can send the same create again and get that answer instead of a second record.

CREATE TABLE idempotency_keys (
    tenant_id    text        NOT NULL,
    subject      text        NOT NULL,
    key          text        NOT NULL,
    fingerprint  text        NOT NULL,  -- SHA-256 of method, path and body: the same key with another request is refused
    claimed_at   timestamptz NOT NULL,  -- when the key was first used: with the key, it names what the create makes
    attempt_at   timestamptz NOT NULL,  -- the current attempt; one that has not answered within the lease is taken over
    expires_at   timestamptz NOT NULL,
    status       int,                   -- null while the first attempt is still being answered
    content_type text,
    location     text,
    etag         text,
    body         bytea,
    PRIMARY KEY (tenant_id, subject, key)
);

CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);
