-- Events the gateway reports (tool calls, prompt gets, resource reads) name the upstream
-- server, how long the call took and how it ended; never its arguments or results.
ALTER TABLE audit_events ADD COLUMN server TEXT;
ALTER TABLE audit_events ADD COLUMN duration_ms BIGINT;
ALTER TABLE audit_events ADD COLUMN outcome TEXT;
