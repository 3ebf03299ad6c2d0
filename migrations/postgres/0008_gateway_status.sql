-- How each server stands at each gateway replica, as the replicas report it: each report
-- replaces what that replica said before. Rows of a replica that stopped reporting are read
-- as stale and pruned.
CREATE TABLE gateway_status (
    gateway TEXT NOT NULL,
    project TEXT NOT NULL,
    server TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    since TEXT NOT NULL,
    reported_at TEXT NOT NULL,
    PRIMARY KEY (gateway, project, server)
);
