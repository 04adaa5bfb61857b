-- Who viewed a child's record: every read of child-level data and every refused attempt, append-only
-- and hash-chained per area (each entry's hash covers the one before), apart from the operational log.

CREATE TABLE access_log (
    id          bigserial   PRIMARY KEY,
    tenant_id   text        NOT NULL,  -- '' for an attempt without a token: no area can be named
    at          timestamptz NOT NULL,
    subject     text        NOT NULL,
    role        text        NOT NULL,
    operation   text        NOT NULL,  -- the endpoint's name (GetRequest, RequestHistory, …)
    target_kind text        NOT NULL,  -- request, setting or area
    target_id   text,
    outcome     int         NOT NULL,  -- the HTTP status answered
    trace_id    text        NOT NULL,
    prev_hash   bytea,
    hash        bytea       NOT NULL
);

CREATE INDEX access_log_by_area ON access_log (tenant_id, id);
CREATE INDEX access_log_by_target ON access_log (tenant_id, target_kind, target_id, id);

CREATE FUNCTION access_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only';
END
$$;

CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_is_append_only();
