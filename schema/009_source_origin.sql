-- 009_source_origin.sql - the gateway host a wrapped log line names.
--
-- One syslog file (or journal export) often holds the lines of several
-- gateways, each line naming its host in the syslog/journald header. Such
-- a file stays one source (its position, fingerprint, resume), and each
-- host named in it gets a child source: a row with parent_id = the file's
-- source and origin = the host, path/kind/format copied from the parent.
-- Requests point at the child, so `report --by source` (and everything
-- keyed by source_id) separates the gateways; gateway-error and reject
-- rows keep the file's own source. A child never has a fingerprint, so it
-- is never taken for a file being resumed.
ALTER TABLE sources ADD COLUMN parent_id INTEGER REFERENCES sources(id);
ALTER TABLE sources ADD COLUMN origin TEXT;	-- host named by the wrapper
CREATE UNIQUE INDEX sources_origin ON sources (parent_id, origin)
	WHERE parent_id IS NOT NULL;
