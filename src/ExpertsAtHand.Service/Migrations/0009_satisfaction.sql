-- Satisfaction: feedback from settings and families after support, and "you said, we did".

-- Family feedback codes by the hash of their printable short code (the signed link code needs no lookup).
CREATE TABLE rm_family_invitations (
    short_code_hash text        PRIMARY KEY,
    tenant_id       text        NOT NULL,
    request_id      uuid        NOT NULL,
    invitation_id   uuid        NOT NULL,
    expires_at      timestamptz NOT NULL
);

-- The satisfaction report's tables, kept by its async projection (and shadowed for as-of answers).
CREATE TABLE rpt_satisfaction_settings (
    tenant_id text NOT NULL,
    urn       text NOT NULL,
    locality  text NOT NULL,
    phase     text NOT NULL,
    PRIMARY KEY (tenant_id, urn)
);

CREATE TABLE rpt_satisfaction_practitioners (
    tenant_id       text NOT NULL,
    practitioner_id text NOT NULL,
    provider        text NOT NULL,
    PRIMARY KEY (tenant_id, practitioner_id)
);

CREATE TABLE rpt_satisfaction_episodes (
    tenant_id   text   NOT NULL,
    request_id  uuid   NOT NULL,
    episode     int    NOT NULL,
    setting_urn text   NOT NULL,
    disciplines text[] NOT NULL,
    providers   text[] NOT NULL DEFAULT '{}',
    closed_on   date,
    outcome     text,
    PRIMARY KEY (tenant_id, request_id, episode)
);

CREATE INDEX rpt_satisfaction_episodes_by_closure ON rpt_satisfaction_episodes (tenant_id, closed_on);

CREATE TABLE rpt_satisfaction_feedback (
    tenant_id   text    NOT NULL,
    feedback_id uuid    NOT NULL,
    request_id  uuid    NOT NULL,
    episode     int     NOT NULL,
    source      text    NOT NULL,  -- Setting or Family
    rating      text    NOT NULL,
    advice_used boolean,
    given_on    date    NOT NULL,
    PRIMARY KEY (tenant_id, feedback_id)
);

CREATE INDEX rpt_satisfaction_feedback_by_episode ON rpt_satisfaction_feedback (tenant_id, request_id, episode);

CREATE TABLE rpt_satisfaction_invitations (
    tenant_id     text NOT NULL,
    invitation_id uuid NOT NULL,
    request_id    uuid NOT NULL,
    episode       int  NOT NULL,
    PRIMARY KEY (tenant_id, invitation_id)
);

CREATE TABLE rpt_satisfaction_themes (
    tenant_id   text NOT NULL,
    feedback_id uuid NOT NULL,
    theme       text NOT NULL,
    PRIMARY KEY (tenant_id, feedback_id, theme)
);

CREATE TABLE rpt_service_changes (
    tenant_id   text NOT NULL,
    change_id   uuid NOT NULL,
    theme       text NOT NULL,
    you_said    text NOT NULL,
    we_did      text NOT NULL,
    recorded_on date NOT NULL,
    PRIMARY KEY (tenant_id, change_id)
);
