-- 016_join_by_minute.sql - the join index written where the log is,
-- version 16.
--
-- requests_join (012) began with the client: each failed or retried
-- request (~7% of a production log, every one of them a row) went into it
-- at a random place, so once the index outgrew the writer's page cache
-- every insert read a page back and every commit wrote most of its leaves
-- again (9M production lines: 1,370 of the 2,300 pages a commit wrote,
-- 22 MiB; 10M lines ran at 0.73 of 1M's rate). Its first key is now the
-- minute of the request's local end, so a log written in time order
-- inserts into the last minute's few pages; within a minute the key is
-- the client, path and end as before.
--
-- A request longer than ten minutes (request_ms > 600000) is filed under
-- minute -1 instead, whatever its end: an error line at local time t
-- belongs to a request ending in t - 2000 .. t + request_ms + 2000
-- (store/stmt.c), so one of at most ten minutes ends in t - 2000 ..
-- t + 602000, and the join looks up those eleven or twelve minutes and
-- minute -1 (an index seek each for client and path, JOIN_MINUTES in
-- stmt.c), however long the longest request stored. Ten, not one: failed
-- requests are often upstream timeouts of 60 s (nginx's default), one
-- in eight of them on a production log, and those must not land at
-- random places of minute -1. Only requests that failed after more than
-- ten minutes do, no worse than before. Queries must repeat the key
-- expression word for word (JOIN_MINUTE in stmt.c) for SQLite to use it.
DROP INDEX requests_join;
CREATE INDEX requests_join ON requests (
	(CASE WHEN request_ms > 600000 THEN -1 ELSE local_end_ms / 60000 END),
	client, path_id, local_end_ms)
	WHERE cause <> 0 OR n_attempts > 1;
