-- Durable messages: written in the same transaction as the events that caused them (the outbox),
-- claimed by workers under a lease, deleted in the same transaction as the handler's own writes.
CREATE TABLE eah_messages (
    id               uuid        PRIMARY KEY,
    tenant_id        text        NOT NULL,
    message_type     text        NOT NULL,
    body             jsonb       NOT NULL,
    due_at           timestamptz NOT NULL,
    attempts         int         NOT NULL DEFAULT 0,
    lease_owner      text,
    lease_expires_at timestamptz,
    last_error       text,
    correlation_id   text,
    causation_id     text,
    trace_parent     text,
    created_at       timestamptz NOT NULL
);

-- Workers look for the earliest due message that nobody holds a live lease on.
CREATE INDEX eah_messages_due ON eah_messages (due_at);

CREATE TABLE eah_dead_letters (
    id             uuid        PRIMARY KEY,
    tenant_id      text        NOT NULL,
    message_type   text        NOT NULL,
    body           jsonb       NOT NULL,
    attempts       int         NOT NULL,
    error          text        NOT NULL,
    exception_type text        NOT NULL,
    correlation_id text,
    causation_id   text,
    trace_parent   text,
    created_at     timestamptz NOT NULL,
    failed_at      timestamptz NOT NULL
);

-- Completing a message proves this worker still holds its lease; raising (rather than deleting
-- nothing) aborts the handler's whole transaction, so a message whose lease was lost and taken
-- over cannot have its work committed twice.
CREATE FUNCTION eah_complete_message(p_id uuid, p_owner text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM eah_messages WHERE id = p_id AND lease_owner = p_owner;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'EAH02', MESSAGE = 'message lease lost', DETAIL = p_id::text;
    END IF;
END
$$;
