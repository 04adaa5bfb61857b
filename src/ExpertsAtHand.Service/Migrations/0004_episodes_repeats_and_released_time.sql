-- A request view and the triage queue speak of the current episode; repeats are decided when a
-- request is raised; allocations give back the time they did not use; capacity counts clinic hours.

-- rm_requests: when the current episode began by reopening, and when its triage clock paused.
ALTER TABLE rm_requests ADD COLUMN reopened_at timestamptz;
ALTER TABLE rm_requests ADD COLUMN paused_on date;

UPDATE rm_requests r SET reopened_at = (
    SELECT max(e.recorded_at) FROM eah_events e
    WHERE e.tenant_id = r.tenant_id AND e.stream_id = r.request_id AND e.event_type = 'request-reopened');
UPDATE rm_requests r SET support_type = NULL WHERE r.reopened_at IS NOT NULL AND r.priority IS NULL;
UPDATE rm_requests r SET paused_on = (
    SELECT (e.data ->> 'pausedOn')::date FROM eah_events e
    WHERE e.tenant_id = r.tenant_id AND e.stream_id = r.request_id AND e.event_type = 'information-requested'
    ORDER BY e.version DESC LIMIT 1)
WHERE r.status = 'AwaitingInformation';

-- rm_allocations: hours delivered on an allocation, and when it stopped holding time. An active
-- allocation holds its hours (or what was delivered, if more); a released one only what was used.
ALTER TABLE rm_allocations ADD COLUMN used_hours numeric NOT NULL DEFAULT 0;
ALTER TABLE rm_allocations ADD COLUMN released_at timestamptz;

UPDATE rm_allocations a SET used_hours = coalesce((
    SELECT round(sum((e.data ->> 'durationMinutes')::numeric) / 60.0, 2) FROM eah_events e
    WHERE e.tenant_id = a.tenant_id AND e.stream_id = a.request_id AND e.event_type = 'contact-recorded'
      AND e.data ->> 'practitionerId' = a.practitioner_id AND e.recorded_at >= a.allocated_at), 0);
UPDATE rm_allocations a SET active = false, released_at = r.updated_at
FROM rm_requests r
WHERE r.tenant_id = a.tenant_id AND r.request_id = a.request_id AND a.active AND r.status IN ('Closed', 'Withdrawn');

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

TRUNCATE rpt_episodes, rpt_outcome_settings;
TRUNCATE rpt_capacity_settings, rpt_capacity_practitioners, rpt_capacity_absences, rpt_capacity_contacts, rpt_capacity_demand;
UPDATE eah_projection_progress SET last_tx = '0'::xid8, last_seq = 0, updated_at = now() WHERE name IN ('outcomes', 'capacity');
