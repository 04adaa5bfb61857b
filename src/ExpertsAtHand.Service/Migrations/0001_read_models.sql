-- Read models kept by inline projections, in the same transaction as the events they reflect.

CREATE TABLE rm_settings (
    tenant_id           text        NOT NULL,
    urn                 text        NOT NULL,
    name                text        NOT NULL,
    phase               text        NOT NULL,
    locality            text        NOT NULL,
    in_area             boolean     NOT NULL,
    number_on_roll      int         NOT NULL,
    percent_fsm         numeric     NOT NULL,
    percent_sen_support numeric     NOT NULL,
    percent_ehcp        numeric     NOT NULL,
    postcode            text,
    open                boolean     NOT NULL,
    version             bigint      NOT NULL,
    PRIMARY KEY (tenant_id, urn)
);

CREATE TABLE rm_requests (
    tenant_id            text        NOT NULL,
    request_id           uuid        NOT NULL,
    setting_urn          text        NOT NULL,
    level                text        NOT NULL,
    status               text        NOT NULL,
    urgency              text        NOT NULL,
    priority             text,
    support_type         text,
    disciplines          text[]      NOT NULL,
    practitioners        text[]      NOT NULL DEFAULT '{}',
    received_on          date        NOT NULL,
    triage_due_by        date        NOT NULL,
    first_contact_due_by date,
    at_risk              boolean     NOT NULL DEFAULT false,
    breached             boolean     NOT NULL DEFAULT false,
    outcome              text,
    raised_at            timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    version              bigint      NOT NULL,
    PRIMARY KEY (tenant_id, request_id)
);

CREATE INDEX rm_requests_by_setting ON rm_requests (tenant_id, setting_urn, raised_at DESC);
CREATE INDEX rm_requests_by_status ON rm_requests (tenant_id, status, raised_at DESC);
CREATE INDEX rm_requests_by_practitioner ON rm_requests USING gin (practitioners);

CREATE TABLE rm_practitioners (
    tenant_id             text        NOT NULL,
    practitioner_id       text        NOT NULL,
    name                  text        NOT NULL,
    discipline            text        NOT NULL,
    provider              text        NOT NULL,
    localities            text[]      NOT NULL,
    weekly_capacity_hours numeric     NOT NULL,
    active                boolean     NOT NULL,
    version               bigint      NOT NULL,
    PRIMARY KEY (tenant_id, practitioner_id)
);

-- Practitioner time given to requests: what the engine's use-of-share and capacity figures count,
-- and what an allocation's explanation is read from. Reopening a request retires its allocations.
CREATE TABLE rm_allocations (
    tenant_id       text        NOT NULL,
    allocation_id   uuid        NOT NULL,
    request_id      uuid        NOT NULL,
    setting_urn     text        NOT NULL,
    practitioner_id text        NOT NULL,
    discipline      text        NOT NULL,
    hours           numeric     NOT NULL,
    allocated_at    timestamptz NOT NULL,
    ranking         jsonb,
    override_reason text,
    active          boolean     NOT NULL DEFAULT true,
    PRIMARY KEY (tenant_id, allocation_id)
);

CREATE INDEX rm_allocations_by_request ON rm_allocations (tenant_id, request_id);
CREATE INDEX rm_allocations_by_setting ON rm_allocations (tenant_id, setting_urn, allocated_at);
CREATE INDEX rm_allocations_by_practitioner ON rm_allocations (tenant_id, practitioner_id, allocated_at);

-- Each setting's entitlement for an academic year (named by its starting September), recalculated
-- whenever the setting's details change, so a re-import each year records the new year's share.
CREATE TABLE rm_entitlements (
    tenant_id     text    NOT NULL,
    urn           text    NOT NULL,
    academic_year int     NOT NULL,
    annual_hours  numeric NOT NULL,
    need_index    numeric NOT NULL,
    PRIMARY KEY (tenant_id, urn, academic_year)
);

CREATE TABLE rm_practitioner_absences (
    tenant_id       text NOT NULL,
    absence_id      uuid NOT NULL,
    practitioner_id text NOT NULL,
    from_date       date NOT NULL,
    to_date         date NOT NULL,
    PRIMARY KEY (tenant_id, absence_id)
);

CREATE INDEX rm_practitioner_absences_by_practitioner ON rm_practitioner_absences (tenant_id, practitioner_id, to_date);

CREATE TABLE rm_clinics (
    tenant_id       text    NOT NULL,
    clinic_id       uuid    NOT NULL,
    kind            text    NOT NULL,
    title           text    NOT NULL,
    discipline      text    NOT NULL,
    practitioner_id text    NOT NULL,
    clinic_date     date    NOT NULL,
    hours           numeric NOT NULL,
    places          int     NOT NULL,
    locality        text    NOT NULL,
    booked          text[]  NOT NULL DEFAULT '{}',
    attendance_taken boolean NOT NULL DEFAULT false,
    version         bigint  NOT NULL,
    PRIMARY KEY (tenant_id, clinic_id)
);

CREATE INDEX rm_clinics_by_date ON rm_clinics (tenant_id, clinic_date);

-- Attendance is delivered support: each attending setting is credited an equal share of the clinic's hours.
CREATE TABLE rm_clinic_attendance (
    tenant_id   text    NOT NULL,
    clinic_id   uuid    NOT NULL,
    setting_urn text    NOT NULL,
    clinic_date date    NOT NULL,
    hours       numeric NOT NULL,
    PRIMARY KEY (tenant_id, clinic_id, setting_urn)
);
