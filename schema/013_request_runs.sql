-- 013_request_runs.sql - requests found by time without an index, and
-- narrower request rows; version 13.
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

-- Narrower request rows. Six columns are stored as the difference to a
-- value the row already holds, which is 0 or small for nearly every
-- request (an integer 0 takes no byte in SQLite's record, one in -128..127
-- takes one); each keeps its name and value as a VIRTUAL generated
-- column, computed when read, so every query, view and index sees the
-- same values as before:
--   line_no        id + line_x (log order is id order: 0 for a lone log)
--   status         status_x + 200
--   client         client_x, an IPv4 address of 128.0.0.0 and up stored
--                  as its 32-bit two's complement (negative: 4 bytes
--                  instead of 6)
--   request_ms     a_response_ms + request_x when the lone attempt is
--                  inline with a response time, else request_x
--   a_status       status + a_status_x (NULL stays NULL)
--   a_header_ms    a_response_ms - a_header_x when a_response_ms is not
--                  NULL, else a_header_x
-- 1M production-cardinality requests: 9 bytes less per request.
DROP VIEW attempt_view;
DROP VIEW attempts_all;
DROP VIEW request_view;

CREATE TABLE requests_013 (
	id		INTEGER PRIMARY KEY,
	source_id	INTEGER NOT NULL REFERENCES sources(id),
	line_x		INTEGER NOT NULL,	-- line_no - id
	line_no		INTEGER GENERATED ALWAYS AS (id + line_x) VIRTUAL,
						-- 1-based line in the source
	ts_ms		INTEGER NOT NULL,	-- request end, UTC ms
	tz_min		INTEGER NOT NULL,	-- the log's UTC offset, minutes
	local_end_ms	INTEGER GENERATED ALWAYS AS (ts_ms + tz_min * 60000)
			VIRTUAL,		-- the end on the gateway's wall
						-- clock, to join error-log lines
	client_x,				-- no affinity: IPv4 as integer
						-- (from 2^31 less 2^32), else
						-- text; NULL when not logged
	client		GENERATED ALWAYS AS (CASE WHEN typeof(client_x) =
			'integer' AND client_x < 0 THEN client_x + 4294967296
			ELSE client_x END) VIRTUAL,
	method_id	INTEGER REFERENCES methods(id),	-- NULL: no request line
	host_id		INTEGER REFERENCES hosts(id),
	path_id		INTEGER REFERENCES paths(id),
	query		TEXT,			-- without '?', NULL when none
	shape_id	INTEGER REFERENCES shapes(id),
	protocol,				-- no affinity: code 0-5, else text
	status_x	INTEGER NOT NULL,	-- status - 200
	status		INTEGER GENERATED ALWAYS AS (status_x + 200) VIRTUAL,
						-- final status sent to the client
	bytes		INTEGER,		-- body bytes sent, NULL not logged
	request_x	INTEGER,		-- request_ms less a_response_ms
	request_ms	INTEGER GENERATED ALWAYS AS (CASE WHEN a_response_ms
			IS NULL THEN request_x ELSE a_response_ms + request_x
			END) VIRTUAL,		-- request time, NULL not logged
	request_id,				-- no affinity: 16-byte blob for 32
						-- lowercase hex digits, else text
	upstream_id	INTEGER NOT NULL REFERENCES upstreams(id),
	n_attempts	INTEGER NOT NULL,	-- attempts (attempts_all)
	cause		INTEGER NOT NULL REFERENCES causes(id),
	error_id	INTEGER,		-- gateway_errors.id joined to the
						-- request itself, or NULL
	a_status_x	INTEGER,		-- the lone attempt inline (012):
	a_status	INTEGER GENERATED ALWAYS AS (status_x + 200 +
			a_status_x) VIRTUAL,	-- attempts' columns of those
	a_connect_ms	INTEGER,		-- names; a_cause NULL: no attempt
	a_header_x	INTEGER,		-- inline (see attempts)
	a_header_ms	INTEGER GENERATED ALWAYS AS (CASE WHEN a_response_ms
			IS NULL THEN a_header_x ELSE a_response_ms - a_header_x
			END) VIRTUAL,
	a_response_ms	INTEGER,
	a_cause		INTEGER REFERENCES causes(id),
	a_error_id	INTEGER
);
INSERT INTO requests_013 (id, source_id, line_x, ts_ms, tz_min, client_x,
	method_id, host_id, path_id, query, shape_id, protocol, status_x,
	bytes, request_x, request_id, upstream_id, n_attempts, cause, error_id,
	a_status_x, a_connect_ms, a_header_x, a_response_ms, a_cause,
	a_error_id)
SELECT id, source_id, line_no - id, ts_ms, tz_min,
	CASE WHEN typeof(client) = 'integer' AND client >= 2147483648
	    THEN client - 4294967296 ELSE client END,
	method_id, host_id, path_id, query, shape_id, protocol, status - 200,
	bytes, CASE WHEN a_response_ms IS NULL THEN request_ms
	    ELSE request_ms - a_response_ms END,
	request_id, upstream_id, n_attempts, cause, error_id,
	a_status - status, a_connect_ms,
	CASE WHEN a_response_ms IS NULL THEN a_header_ms
	    ELSE a_response_ms - a_header_ms END,
	a_response_ms, a_cause, a_error_id
FROM requests ORDER BY id;
-- Emptied first, as in 012 (a DROP of the full table held every page).
DELETE FROM requests;
DROP TABLE requests;
ALTER TABLE requests_013 RENAME TO requests;
CREATE INDEX requests_join ON requests (client, path_id, local_end_ms)
	WHERE cause <> 0 OR n_attempts > 1;
CREATE INDEX requests_trouble_ts ON requests (ts_ms)
	WHERE cause <> 0 OR n_attempts > 1;
CREATE VIEW request_view AS
SELECT r.id, s.path AS source, r.line_no,
	strftime('%Y-%m-%dT%H:%M:%fZ', r.ts_ms / 1000.0, 'unixepoch') AS time,
	r.ts_ms, r.tz_min,
	CASE typeof(r.client) WHEN 'integer' THEN printf('%d.%d.%d.%d',
	    r.client >> 24, (r.client >> 16) & 255, (r.client >> 8) & 255,
	    r.client & 255) ELSE r.client END AS client,
	m.name AS method, h.name AS host,
	p.name AS path, r.query, sh.name AS shape,
	CASE typeof(r.protocol) WHEN 'integer' THEN CASE r.protocol
	    WHEN 0 THEN 'HTTP/1.0' WHEN 1 THEN 'HTTP/1.1' WHEN 2 THEN 'HTTP/2.0'
	    WHEN 3 THEN 'HTTP/3.0' WHEN 4 THEN 'HTTP/2' WHEN 5 THEN 'HTTP/3'
	    END ELSE r.protocol END AS protocol,
	r.status, r.bytes, r.request_ms,
	CASE typeof(r.request_id) WHEN 'blob' THEN lower(hex(r.request_id))
	    ELSE r.request_id END AS request_id,
	u.name AS upstream, r.n_attempts, c.name AS cause, r.error_id
FROM requests r
JOIN sources s ON s.id = r.source_id
JOIN causes c ON c.id = r.cause
JOIN upstreams u ON u.id = r.upstream_id
LEFT JOIN methods m ON m.id = r.method_id
LEFT JOIN hosts h ON h.id = r.host_id
LEFT JOIN paths p ON p.id = r.path_id
LEFT JOIN shapes sh ON sh.id = r.shape_id;

-- Every attempt, inline or not, as the attempts table had them.
CREATE VIEW attempts_all AS
SELECT r.id AS request_id, 0 AS seq, 0 AS grp, r.upstream_id,
	r.a_status AS status, r.a_connect_ms AS connect_ms,
	r.a_header_ms AS header_ms, r.a_response_ms AS response_ms,
	r.a_cause AS cause, r.a_error_id AS error_id
FROM requests r WHERE r.a_cause IS NOT NULL
UNION ALL
SELECT request_id, seq, grp, upstream_id, status, connect_ms, header_ms,
	response_ms, cause, error_id
FROM attempts;

CREATE VIEW attempt_view AS
SELECT a.request_id, a.seq, a.grp, u.name AS upstream, a.status,
	a.connect_ms, a.header_ms, a.response_ms, c.name AS cause, a.error_id
FROM attempts_all a
JOIN upstreams u ON u.id = a.upstream_id
JOIN causes c ON c.id = a.cause;
