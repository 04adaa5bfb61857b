-- Report read models, kept by async projections (the daemon) behind the log.

CREATE TABLE rpt_settings (
    tenant_id text NOT NULL,
    urn       text NOT NULL,
    phase     text NOT NULL,
    locality  text NOT NULL,
    PRIMARY KEY (tenant_id, urn)
);

CREATE TABLE rpt_practitioners (
    tenant_id       text NOT NULL,
    practitioner_id text NOT NULL,
    provider        text NOT NULL,
    PRIMARY KEY (tenant_id, practitioner_id)
);

-- One row per episode of a request (a reopened request starts a new episode with a new triage clock).
CREATE TABLE rpt_request_clocks (
    tenant_id              text    NOT NULL,
    request_id             uuid    NOT NULL,
    episode                int     NOT NULL,
    setting_urn            text    NOT NULL,
    locality               text    NOT NULL,
    phase                  text    NOT NULL,
    urgency                text    NOT NULL,
    priority               text,
    disciplines            text[]  NOT NULL,
    provider               text,
    received_on            date    NOT NULL,
    triage_days            int,
    triage_standard        int,
    triage_met             boolean,
    triaged_at             timestamptz,
    first_contact_days     int,
    first_contact_standard int,
    first_contact_met      boolean,
    first_contact_on       date,
    PRIMARY KEY (tenant_id, request_id, episode)
);

CREATE INDEX rpt_request_clocks_by_received ON rpt_request_clocks (tenant_id, received_on);

-- Request episodes with their closure: what de-escalation, escalation and repeat rates are counted
-- from. A child is only a one-way hash of setting and pseudonymous reference, never the reference.
CREATE TABLE rpt_episodes (
    tenant_id     text    NOT NULL,
    request_id    uuid    NOT NULL,
    episode       int     NOT NULL,
    setting_urn   text    NOT NULL,
    level         text    NOT NULL,
    child_key     text,
    sen_status    text,
    raised_on     date    NOT NULL,
    closed_on     date,
    outcome       text,
    first_delivered_on date,
    PRIMARY KEY (tenant_id, request_id, episode)
);

CREATE INDEX rpt_episodes_by_child ON rpt_episodes (tenant_id, child_key, closed_on);

-- Coverage: settings in scope, what was delivered to each and when (contacts and clinic attendance).
CREATE TABLE rpt_coverage_settings (
    tenant_id    text    NOT NULL,
    urn          text    NOT NULL,
    locality     text    NOT NULL,
    phase        text    NOT NULL,
    name         text    NOT NULL,
    in_scope     boolean NOT NULL,
    annual_hours numeric NOT NULL,
    need_index   numeric NOT NULL,
    PRIMARY KEY (tenant_id, urn)
);

CREATE TABLE rpt_coverage_requests (
    tenant_id   text NOT NULL,
    request_id  uuid NOT NULL,
    setting_urn text NOT NULL,
    PRIMARY KEY (tenant_id, request_id)
);

CREATE TABLE rpt_coverage_clinics (
    tenant_id   text    NOT NULL,
    clinic_id   uuid    NOT NULL,
    clinic_date date    NOT NULL,
    hours       numeric NOT NULL,
    PRIMARY KEY (tenant_id, clinic_id)
);

CREATE TABLE rpt_deliveries (
    tenant_id    text    NOT NULL,
    setting_urn  text    NOT NULL,
    delivered_on date    NOT NULL,
    hours        numeric NOT NULL,
    source       text    NOT NULL
);

CREATE INDEX rpt_deliveries_by_setting ON rpt_deliveries (tenant_id, setting_urn, delivered_on);
