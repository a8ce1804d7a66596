-- 013_request_runs.sql - requests found by time without an index,
-- version 13.
--
-- requests_ts (an index of every request by ts_ms) took 17 bytes per
-- request, 12% of the file at production cardinality. Requests are
-- written in log order, which is nearly time order, so a few rows say
-- where each second's requests are: request_runs holds runs of request
-- ids, each a range first_id..last_id of ids whose existing rows all end
-- in that second (sec = floor(ts_ms / 1000)). Every request is in
-- exactly one run; runs never overlap. A range may hold ids of rows since
-- pruned, and a second may have several runs (a log that steps back in
-- time, sources written in turn, writers that took turns). A second, not
-- a minute: the join of an upstream_truncated error-log line looks up
-- requests of a few seconds (store/stmt.c), and reads a few seconds of
-- rows, not three minutes of them (1M requests: 0.3 s a line).
--
-- Readers of a time range t0..t1 read the runs of seconds t0 / 1000 - 1
-- to t1 / 1000 + 1 (a second of slack either side keeps the arithmetic
-- simple), each by its rowid range, and keep the rows whose ts_ms is in
-- t0..t1: exactly the rows requests_ts gave. Ordered by time, they read
-- the runs in second order and sort each second's rows only (SQLite's
-- sorter for the right part of an ORDER BY).
--
-- The writer keeps its current run in memory and writes it in the batch's
-- transaction (store/runs.c); pruning drops the runs whose rows are gone
-- and cuts runs back to the largest id kept, as SQLite gives a deleted
-- largest id out again.
CREATE TABLE request_runs (
	sec		INTEGER NOT NULL,	-- floor(ts_ms / 1000)
	first_id	INTEGER NOT NULL,	-- requests.id range, inclusive
	last_id		INTEGER NOT NULL,
	PRIMARY KEY (sec, first_id)
) WITHOUT ROWID;

-- The runs of the rows already stored: a run starts where the second of
-- the row before it (in id order) differs. Each row's predecessor is one
-- index seek, so the copy streams, whatever the number of rows; the starts
-- go to a table of the file, not to memory (temp_store is MEMORY), as a
-- log out of time order may start a run at nearly every row.
CREATE TABLE request_run_starts (
	id		INTEGER PRIMARY KEY,
	sec		INTEGER NOT NULL
);
INSERT INTO request_run_starts (id, sec)
SELECT r.id, (r.ts_ms - (((r.ts_ms % 1000) + 1000) % 1000)) / 1000
FROM requests r
WHERE (r.ts_ms - (((r.ts_ms % 1000) + 1000) % 1000)) / 1000 IS NOT
	(SELECT (p.ts_ms - (((p.ts_ms % 1000) + 1000) % 1000)) / 1000
	 FROM requests p WHERE p.id < r.id ORDER BY p.id DESC LIMIT 1);
INSERT INTO request_runs (sec, first_id, last_id)
SELECT s.sec, s.id, coalesce((SELECT min(n.id) - 1
	FROM request_run_starts n WHERE n.id > s.id),
	(SELECT max(id) FROM requests))
FROM request_run_starts s;
DROP TABLE request_run_starts;

DROP INDEX requests_ts;

