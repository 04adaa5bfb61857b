-- Short human references for requests (NMR-2026-00123): numbered per area and year, carried by the
-- RequestRaised event, kept on the request's row so a coordinator can find it by what a caller quotes.

CREATE TABLE request_reference_numbers (
    tenant_id   text NOT NULL,
    year        int  NOT NULL,
    last_number int  NOT NULL,
    PRIMARY KEY (tenant_id, year)
);

ALTER TABLE rm_requests ADD COLUMN reference text;

CREATE UNIQUE INDEX rm_requests_by_reference ON rm_requests (tenant_id, reference) WHERE reference IS NOT NULL;
