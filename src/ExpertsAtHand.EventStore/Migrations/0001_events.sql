-- The event log. seq is the global position; (tenant_id, stream_id, version) is the
-- optimistic-concurrency guard; tx_id lets async readers wait for late commits (see ProjectionDaemon).
CREATE TABLE eah_events (
    seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id      text        NOT NULL,
    stream_id      uuid        NOT NULL,
    version        bigint      NOT NULL CHECK (version > 0),
    stream_type    text        NOT NULL,
    event_type     text        NOT NULL,
    data           jsonb       NOT NULL,
    correlation_id text,
    causation_id   text,
    actor          text,
    recorded_at    timestamptz NOT NULL,
    tx_id          xid8        NOT NULL DEFAULT pg_current_xact_id(),
    CONSTRAINT eah_events_stream_version UNIQUE (tenant_id, stream_id, version)
);

CREATE INDEX eah_events_commit_order ON eah_events (tx_id, seq);

-- One row per async projection: the last event it has applied, in commit order.
CREATE TABLE eah_projection_progress (
    name       text        PRIMARY KEY,
    last_tx    xid8        NOT NULL DEFAULT '0',
    last_seq   bigint      NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Appending version v+1 requires version v to exist: without this an append from a stale but
-- too-high expected version would leave a gap. Raising (rather than inserting nothing) aborts the
-- whole batch, so an append can be sent as one implicit transaction in a single round trip.
CREATE FUNCTION eah_after_version(p_tenant text, p_stream uuid, p_version bigint) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM eah_events WHERE tenant_id = p_tenant AND stream_id = p_stream AND version = p_version) THEN
        RAISE EXCEPTION USING ERRCODE = 'EAH01', MESSAGE = 'stream version conflict', DETAIL = p_stream::text;
    END IF;
    RETURN p_version + 1;
END
$$;
