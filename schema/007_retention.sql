-- 007_retention.sql - what pruning (store/prune.c) needs to find old rows
-- without scanning.
--
-- Raw rows are removed oldest first by event time: requests through
-- requests_ts (001), their attempts by primary key, the error-log lines
-- joined to them by id. Two lookups had no index:
--   * unjoined error-log lines by time (a late line whose request was
--     already pruned, or one that never joined): gateway_errors_time;
--   * a source's rejected lines up to a line number (rejects carry no
--     time of their own: they go once the rows around them are gone):
--     rejects_source_line.
-- Both tables hold only failures and bad lines, so ingest hardly pays.
--
-- store_meta keys written by pruning (absent = never pruned):
--   raw_pruned_before_ms     every request with ts_ms below it was removed
--                            (raw rows of that range are gone; its counts
--                            live on in the rollups)
--   rollup_pruned_before_ms  likewise for the per-minute rollups
CREATE INDEX gateway_errors_time ON gateway_errors (local_ms);
CREATE INDEX rejects_source_line ON rejects (source_id, line_no);

-- Interned strings no kept row uses are removed too (high-cardinality
-- paths would otherwise grow the file forever; client addresses are
-- stored in the rows themselves since 006). The pruner
-- reads every new request and error-log line once, in id order, and
-- notes on each string it names the newest event time it was seen at
-- (at most an hour stale); a string whose time is well before the pruning
-- point is used by no kept row. NULL = not seen by the pruner yet: kept.
-- The indexes are partial, so storing a new string (NULL) costs the
-- writer nothing more.
--   store_meta mark_request_id, mark_error_id: how far it has read.
ALTER TABLE paths ADD COLUMN last_ms INTEGER;
ALTER TABLE hosts ADD COLUMN last_ms INTEGER;
ALTER TABLE shapes ADD COLUMN last_ms INTEGER;
CREATE INDEX paths_last ON paths (last_ms) WHERE last_ms IS NOT NULL;
CREATE INDEX hosts_last ON hosts (last_ms) WHERE last_ms IS NOT NULL;
CREATE INDEX shapes_last ON shapes (last_ms) WHERE last_ms IS NOT NULL;
