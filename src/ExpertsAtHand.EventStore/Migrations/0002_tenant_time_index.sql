-- Point-in-time replays read one tenant's events recorded before an instant.
CREATE INDEX eah_events_by_tenant_and_time ON eah_events (tenant_id, recorded_at);
