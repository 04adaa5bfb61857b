-- Locality, phase and discipline filters on every report, and capacity and backlog by week.
-- The coverage and outcomes read models gain columns only the log can fill: their checkpoints are
-- set back to the start so the daemon rebuilds them.

ALTER TABLE rpt_deliveries ADD COLUMN discipline text NOT NULL DEFAULT 'Unknown';
ALTER TABLE rpt_coverage_clinics ADD COLUMN discipline text NOT NULL DEFAULT 'Unknown';

-- Which discipline each practitioner gives a request, so a contact's hours count for it.
CREATE TABLE rpt_coverage_allocations (
    tenant_id       text NOT NULL,
    request_id      uuid NOT NULL,
    practitioner_id text NOT NULL,
    discipline      text NOT NULL,
    PRIMARY KEY (tenant_id, request_id, practitioner_id)
);

CREATE INDEX rpt_deliveries_by_date ON rpt_deliveries (tenant_id, delivered_on);

ALTER TABLE rpt_episodes ADD COLUMN disciplines text[] NOT NULL DEFAULT '{}';

CREATE TABLE rpt_outcome_settings (
    tenant_id text NOT NULL,
    urn       text NOT NULL,
    locality  text NOT NULL,
    phase     text NOT NULL,
    PRIMARY KEY (tenant_id, urn)
);

CREATE INDEX rpt_episodes_by_closed ON rpt_episodes (tenant_id, closed_on);

-- Capacity: each practitioner's details from the day they took effect, their absences, and what
-- they delivered; demand: one row per request episode and discipline with the dates it moved on.
CREATE TABLE rpt_capacity_practitioners (
    tenant_id       text    NOT NULL,
    practitioner_id text    NOT NULL,
    effective_on    date    NOT NULL,
    discipline      text    NOT NULL,
    localities      text[]  NOT NULL,
    weekly_hours    numeric NOT NULL,
    active          boolean NOT NULL,
    PRIMARY KEY (tenant_id, practitioner_id, effective_on)
);

CREATE TABLE rpt_capacity_absences (
    tenant_id       text NOT NULL,
    absence_id      uuid NOT NULL,
    practitioner_id text NOT NULL,
    first_day       date NOT NULL,
    last_day        date NOT NULL,
    PRIMARY KEY (tenant_id, absence_id)
);

CREATE TABLE rpt_capacity_contacts (
    tenant_id       text    NOT NULL,
    contact_id      uuid    NOT NULL,
    practitioner_id text    NOT NULL,
    delivered_on    date    NOT NULL,
    hours           numeric NOT NULL,
    PRIMARY KEY (tenant_id, contact_id)
);

CREATE TABLE rpt_capacity_settings (
    tenant_id text NOT NULL,
    urn       text NOT NULL,
    locality  text NOT NULL,
    phase     text NOT NULL,
    PRIMARY KEY (tenant_id, urn)
);

CREATE TABLE rpt_capacity_demand (
    tenant_id        text NOT NULL,
    request_id       uuid NOT NULL,
    episode          int  NOT NULL,
    discipline       text NOT NULL,
    locality         text NOT NULL,
    phase            text NOT NULL,
    received_on      date NOT NULL,
    triaged_on       date,
    first_contact_on date,
    ended_on         date,
    -- The last day it could still be waiting: a week asks only for rows waiting on or after its Monday.
    waiting_until    date GENERATED ALWAYS AS (coalesce(least(ended_on, first_contact_on), 'infinity'::date)) STORED,
    PRIMARY KEY (tenant_id, request_id, episode, discipline)
);

CREATE INDEX rpt_capacity_demand_by_waiting ON rpt_capacity_demand (tenant_id, waiting_until, received_on);

-- (The version on our own event store rebuilt coverage and outcomes here; a database from it is now
-- refused at start, so a new one starts from empty tables and needs no rebuild.)
