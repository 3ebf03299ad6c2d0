-- Every object of every kind lives in `objects`; `ref_targets` and `refs` let the database itself
-- refuse dangling references and the deletion of anything still referenced.

CREATE TABLE objects (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    project TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    uid TEXT NOT NULL,
    resource_version BIGINT NOT NULL,
    labels TEXT NOT NULL,
    annotations TEXT NOT NULL,
    spec TEXT NOT NULL,
    status TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT objects_kind_project_name_key UNIQUE (kind, project, name),
    CONSTRAINT objects_uid_key UNIQUE (uid)
);

-- What may be referenced: each object (key '') and each key of a Secret.
CREATE TABLE ref_targets (
    kind TEXT NOT NULL,
    project TEXT NOT NULL,
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (kind, project, name, key),
    FOREIGN KEY (kind, project, name) REFERENCES objects (kind, project, name) ON DELETE CASCADE
);

CREATE TABLE refs (
    from_id BIGINT NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    to_kind TEXT NOT NULL,
    to_project TEXT NOT NULL,
    to_name TEXT NOT NULL,
    to_key TEXT NOT NULL,
    PRIMARY KEY (from_id, field),
    FOREIGN KEY (to_kind, to_project, to_name, to_key)
        REFERENCES ref_targets (kind, project, name, key)
);
CREATE INDEX refs_to ON refs (to_kind, to_project, to_name, to_key);

CREATE TABLE credentials (
    object_id BIGINT PRIMARY KEY REFERENCES objects (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE revoked_sessions (
    jti TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
