-- Audit events older than the retention (`--audit-retention`) are pruned in the background,
-- oldest first: by time, through this index.
CREATE INDEX audit_events_time ON audit_events (time);
