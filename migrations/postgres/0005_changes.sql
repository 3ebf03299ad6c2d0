-- The change log: every write of an object appends a row in the write's own transaction, with
-- a database-wide increasing revision. Watch streams read it from a revision on; rows older
-- than the retention are pruned (the newest is always kept).
CREATE TABLE changes (
    revision BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    project TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX changes_kind_project ON changes (kind, project, revision);
