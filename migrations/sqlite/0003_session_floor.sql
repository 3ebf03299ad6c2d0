-- Sessions issued before a user's password was last set (unix milliseconds) are no longer valid.
ALTER TABLE credentials ADD COLUMN sessions_after BIGINT NOT NULL DEFAULT 0;
