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
