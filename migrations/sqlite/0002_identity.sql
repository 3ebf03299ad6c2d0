-- Tokens are found by the SHA-256 of their raw value; the raw value is never stored.
CREATE TABLE token_hashes (
    sha256 TEXT PRIMARY KEY,
    object_id BIGINT NOT NULL UNIQUE REFERENCES objects (id) ON DELETE CASCADE,
    created_by TEXT NOT NULL
);
CREATE INDEX token_hashes_created_by ON token_hashes (created_by);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    principal TEXT NOT NULL,
    verb TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    project TEXT,
    code BIGINT NOT NULL,
    dry_run BIGINT NOT NULL
);
CREATE INDEX audit_events_principal ON audit_events (principal);

-- Consecutive failed logins per account, and until when the account is throttled.
CREATE TABLE login_failures (
    email TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    locked_until BIGINT NOT NULL
);
