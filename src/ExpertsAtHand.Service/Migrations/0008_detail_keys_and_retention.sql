-- Crypto-shredding: each child's details (and each setting-level request's free text) are sealed in the
-- events with a key of their own, kept here wrapped by the master key. Erasure deletes the key: the
-- events stay whole and every sealed field in them, in backups too, can no longer be read.

CREATE TABLE detail_keys (
    tenant_id      text        NOT NULL,
    key_id         uuid        NOT NULL,
    child_lookup   bytea,                 -- keyed hash of setting and child reference (the lookup secret's): the same child finds the same key; null for a setting-level request
    wrapped        bytea       NOT NULL,  -- nonce, AES-GCM ciphertext and tag of the key under the master key
    master_version int         NOT NULL,
    erase_due_on   date        NOT NULL,  -- when the area's retention rule ends the details' life
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, key_id)
);

CREATE UNIQUE INDEX detail_keys_by_child ON detail_keys (tenant_id, child_lookup) WHERE child_lookup IS NOT NULL;
CREATE INDEX detail_keys_by_due ON detail_keys (erase_due_on);

-- Secrets of the service itself, wrapped by the master key like the children's keys.
CREATE TABLE protection_secrets (
    name           text  PRIMARY KEY,
    wrapped        bytea NOT NULL,
    master_version int   NOT NULL
);

-- What was erased, when, why and by whom: no detail, no reference, no request text.
CREATE TABLE erasures (
    id          bigserial   PRIMARY KEY,
    tenant_id   text        NOT NULL,
    key_id      uuid        NOT NULL,
    requests    int         NOT NULL,  -- how many requests the key sealed
    grounds     text        NOT NULL,
    erased_by   text        NOT NULL,
    erased_at   timestamptz NOT NULL
);

CREATE INDEX erasures_by_area ON erasures (tenant_id, erased_at DESC);

-- Which key seals a request: erasure finds every request of the child by it.
ALTER TABLE rm_requests ADD COLUMN details_key uuid;
CREATE INDEX rm_requests_by_details_key ON rm_requests (tenant_id, details_key) WHERE details_key IS NOT NULL;

-- The access log's retention removes its oldest entries, and only that: the first entry left keeps the
-- hash of the last one removed, recorded here so verification still starts from a known link.
CREATE TABLE access_log_trims (
    tenant_id    text        NOT NULL,
    trimmed_at   timestamptz NOT NULL,
    through_id   bigint      NOT NULL,  -- the last entry removed
    through_hash bytea       NOT NULL,
    removed      bigint      NOT NULL
);

DROP TRIGGER access_log_append_only ON access_log;

CREATE FUNCTION access_log_is_append_only_but_for_retention() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Retention, and nothing else, may remove entries older than the cut-off it declares in its own transaction.
    IF TG_OP = 'DELETE' AND OLD.at < nullif(current_setting('eah.access_log_retention_before', true), '')::timestamptz THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the access log is append-only';
END
$$;

CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_is_append_only_but_for_retention();

CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_is_append_only();

CREATE TRIGGER access_log_trims_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON access_log_trims
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_is_append_only();
