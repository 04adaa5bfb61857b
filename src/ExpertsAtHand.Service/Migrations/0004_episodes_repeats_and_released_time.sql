-- A request view and the triage queue speak of the current episode; repeats are decided when a
-- request is raised; allocations give back the time they did not use; capacity counts clinic hours.

-- rm_requests: when the current episode began by reopening, and when its triage clock paused.
ALTER TABLE rm_requests ADD COLUMN reopened_at timestamptz;
ALTER TABLE rm_requests ADD COLUMN paused_on date;


-- rm_allocations: hours delivered on an allocation, and when it stopped holding time. An active
-- allocation holds its hours (or what was delivered, if more); a released one only what was used.
ALTER TABLE rm_allocations ADD COLUMN used_hours numeric NOT NULL DEFAULT 0;
ALTER TABLE rm_allocations ADD COLUMN released_at timestamptz;


-- rm_settings: whether the SEN figures are an estimate because the source left them blank.
ALTER TABLE rm_settings ADD COLUMN sen_figures_estimated boolean NOT NULL DEFAULT false;

-- Outcomes: whether an episode was a repeat is fixed when the request is raised.
ALTER TABLE rpt_episodes ADD COLUMN is_repeat boolean NOT NULL DEFAULT false;

-- Capacity: clinics delivered count as the practitioner's hours delivered, as coverage credits them.
CREATE TABLE rpt_capacity_clinics (
    tenant_id       text    NOT NULL,
    clinic_id       uuid    NOT NULL,
    practitioner_id text    NOT NULL,
    clinic_date     date    NOT NULL,
    hours           numeric NOT NULL,
    PRIMARY KEY (tenant_id, clinic_id)
);

-- (The version on our own event store backfilled these columns from its log and rebuilt outcomes and
-- capacity here; a database from it is now refused at start, so a new one starts empty.)
