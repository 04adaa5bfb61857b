-- Upgrades of the data itself that run once, after the schema's migrations, in the service's own code
-- (sealing the details of requests recorded before sealing existed): each is recorded here when done,
-- so a start never looks through the whole log again.

CREATE TABLE data_upgrades (
    name    text        PRIMARY KEY,
    done_at timestamptz NOT NULL
);
