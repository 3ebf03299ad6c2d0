-- Audit events name kinds by their plural (`projects`), whichever route wrote them; apply used
-- to write the kind (`Project`).
UPDATE audit_events SET kind = 'projects' WHERE kind = 'Project';
UPDATE audit_events SET kind = 'servers' WHERE kind = 'Server';
UPDATE audit_events SET kind = 'secrets' WHERE kind = 'Secret';
UPDATE audit_events SET kind = 'users' WHERE kind = 'User';
UPDATE audit_events SET kind = 'groups' WHERE kind = 'Group';
UPDATE audit_events SET kind = 'rbacdefinitions' WHERE kind = 'RbacDefinition';
UPDATE audit_events SET kind = 'mcptokens' WHERE kind = 'McpToken';
CREATE INDEX audit_events_kind_name ON audit_events (kind, name);

-- Failed logins remember when they last happened, so that old ones are pruned.
ALTER TABLE login_failures ADD COLUMN last_failure BIGINT NOT NULL DEFAULT 0;
CREATE INDEX login_failures_last_failure ON login_failures (last_failure);

-- A token belongs to its project's identity (its uid, not its name) and, when another token
-- created it, to that token (by its SHA-256): it works only while both do.
ALTER TABLE token_hashes ADD COLUMN project_uid TEXT NOT NULL DEFAULT '';
ALTER TABLE token_hashes ADD COLUMN parent_sha256 TEXT;
UPDATE token_hashes SET project_uid = COALESCE((
    SELECT p.uid FROM objects t JOIN objects p ON p.kind = 'Project' AND p.project = '' AND p.name = t.project
    WHERE t.id = token_hashes.object_id), '');
CREATE INDEX token_hashes_parent ON token_hashes (parent_sha256);
