-- 013_request_runs.sql - requests found by time without an index, version 13.
--
-- requests_ts (an index of every request by ts_ms) took 17 bytes per
-- request, 12% of the file at production cardinality. Requests are
-- written in log order, which is nearly time order, so a few rows say
-- where each minute's requests are: request_runs holds runs of request
-- ids, each a range first_id..last_id of ids whose existing rows all end
-- in that minute (minute = floor(ts_ms / 60000), as rollup_minute). Every
-- request is in exactly one run; runs never overlap. A range may hold ids
-- of rows since pruned, and a minute may have several runs (a log that
-- steps back in time, sources written in turn, batches of writers that
-- took turns).
--
-- Readers of a time range t0..t1 read the runs of minutes t0 / 60000 - 1
-- to t1 / 60000 + 1 (a minute of slack either side keeps the arithmetic
-- simple), each by its rowid range, and keep the rows whose ts_ms is in
-- t0..t1: exactly the rows requests_ts gave. Ordered by time, they read
-- the runs in minute order and sort each minute's rows only (SQLite's
-- sorter for the right part of an ORDER BY).
--
-- The writer keeps its current run in memory and writes it in the batch's
-- transaction (store/runs.c); pruning drops the runs whose rows are gone
-- and cuts runs back to the largest id kept, as SQLite gives a deleted
-- largest id out again.
CREATE TABLE request_runs (
	minute		INTEGER NOT NULL,	-- floor(ts_ms / 60000)
	first_id	INTEGER NOT NULL,	-- requests.id range, inclusive
	last_id		INTEGER NOT NULL,
	PRIMARY KEY (minute, first_id)
) WITHOUT ROWID;

-- The runs of the rows already stored: a run starts where the minute of
-- the row before it (in id order) differs. Each row's predecessor is one
-- index seek, so the copy streams, whatever the number of rows; the starts
-- go to a table of the file, not to memory (temp_store is MEMORY), as a
-- log out of time order may start a run at nearly every row.
CREATE TABLE request_run_starts (
	id		INTEGER PRIMARY KEY,
	minute		INTEGER NOT NULL
);
INSERT INTO request_run_starts (id, minute)
SELECT r.id, (r.ts_ms - (((r.ts_ms % 60000) + 60000) % 60000)) / 60000
FROM requests r
WHERE (r.ts_ms - (((r.ts_ms % 60000) + 60000) % 60000)) / 60000 IS NOT
	(SELECT (p.ts_ms - (((p.ts_ms % 60000) + 60000) % 60000)) / 60000
	 FROM requests p WHERE p.id < r.id ORDER BY p.id DESC LIMIT 1);
INSERT INTO request_runs (minute, first_id, last_id)
SELECT s.minute, s.id, coalesce((SELECT min(n.id) - 1
	FROM request_run_starts n WHERE n.id > s.id),
	(SELECT max(id) FROM requests))
FROM request_run_starts s;
DROP TABLE request_run_starts;

DROP INDEX requests_ts;
