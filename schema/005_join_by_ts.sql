-- 005_join_by_ts.sql - the upstream_truncated join finds its requests
-- through requests_ts instead of an index of its own on local_end_ms, which
-- cost every stored request one more index insert (~10% of the writer's
-- time) for a lookup made only for upstream_truncated errors.
--
-- local_end_ms = ts_ms + tz_min * 60000, so a window of local times is a
-- window of ts_ms widened by the spread of the logs' UTC offsets; the
-- store keeps that spread in store_meta (tz_min_lo, tz_min_hi), raised by
-- every batch that brings a new offset, and counted here once for the
-- requests already stored.
DROP INDEX requests_local_end;
INSERT INTO store_meta (key, value)
	SELECT 'tz_min_lo', min(tz_min) FROM requests HAVING count(*) > 0;
INSERT INTO store_meta (key, value)
	SELECT 'tz_min_hi', max(tz_min) FROM requests HAVING count(*) > 0;
