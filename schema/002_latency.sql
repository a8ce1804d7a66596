-- 002_latency.sql - upstream time histograms for the console, version 2.
--
-- The rollups of 001 count requests and attempts; they cannot give a
-- percentile. This table keeps, per minute and upstream, how many attempts
-- took a time that falls in each bucket of a log scale, so p50 and p99 of
-- any window are read from a few hundred rows instead of the attempts.
-- Written by the store in the same transaction as the rows (store/write.c,
-- store/latency.c); the console reads it (store/console.c).
--
-- Buckets (store/latency.c, latency_bucket): a time t in ms maps to
-- v = t + 1; v < 8 gives bucket v - 1 (exact: 0..6 ms); otherwise, with
-- e = floor(log2 v) and s the two bits after the leading one, bucket
-- 4 * e + s, which holds v in [(4 + s) << (e - 2), (5 + s) << (e - 2)):
-- about 19% wide, enough for a p99 on a screen.
CREATE TABLE rollup_latency_minute (
	minute		INTEGER NOT NULL,	-- the request's ts_ms / 60000
	upstream_id	INTEGER NOT NULL,	-- the attempt's own upstream
	bucket		INTEGER NOT NULL,	-- log-scale bucket of response_ms
	attempts	INTEGER NOT NULL,	-- attempts whose upstream response
						-- time ($upstream_response_time)
						-- fell in the bucket
	PRIMARY KEY (minute, upstream_id, bucket)
) WITHOUT ROWID;
