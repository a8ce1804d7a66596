-- 012_row_shape.sql - fewer bytes per request, version 12.
--
-- Two columns of every request row are stored compactly when their text
-- allows it (store/inline.c), in columns without type affinity (a TEXT
-- column would turn an integer back into text, hence the rebuild):
--   * request_id: exactly 32 lowercase hex digits (nginx's $request_id)
--     as the 16-byte blob they spell, 16 bytes instead of 32; anything
--     else stays text. lower(hex(request_id)) gives the digits back.
--   * protocol: 0 'HTTP/1.0', 1 'HTTP/1.1', 2 'HTTP/2.0', 3 'HTTP/3.0',
--     4 'HTTP/2', 5 'HTTP/3' (0-1 bytes instead of 8); anything else stays
--     text.
-- request_view shows both as the text that was logged, with built-in
-- functions only; a hand query on the table itself compares a hex id as
-- a blob: WHERE request_id = x'890cbd80...'.
--
-- A request's lone attempt (nearly every request has exactly one) is
-- stored in the request row itself: a_status, a_connect_ms, a_header_ms,
-- a_response_ms, a_cause, a_error_id hold its columns, and a_cause IS NOT
-- NULL says it is there (its seq and group are 0, its upstream is the
-- request's upstream_id). The attempts table keeps the attempts of every
-- other request (two or more attempts, or a lone one of another group).
-- A request's attempts are thus either all inline (one) or all in the
-- table. The view attempts_all gives every attempt as the attempts table
-- did (the same columns); attempt_view reads it. Inline, an attempt costs
-- ~8 bytes in its request row instead of a ~27-byte row of its own.
--
-- Ids are kept, so attempts and the joins of error-log lines stay as
-- they were. The conversion uses gw_request_id() and gw_protocol(), which
-- the store registers before migrating.

DROP VIEW request_view;
DROP VIEW attempt_view;

CREATE TABLE requests_012 (
	id		INTEGER PRIMARY KEY,
	source_id	INTEGER NOT NULL REFERENCES sources(id),
	line_no		INTEGER NOT NULL,	-- 1-based line in the source
	ts_ms		INTEGER NOT NULL,	-- request end, UTC ms
	tz_min		INTEGER NOT NULL,	-- the log's UTC offset, minutes
	local_end_ms	INTEGER GENERATED ALWAYS AS (ts_ms + tz_min * 60000)
			VIRTUAL,		-- the end on the gateway's wall
						-- clock, to join error-log lines
	client,					-- no affinity: IPv4 as integer,
						-- else text; NULL when not logged
	method_id	INTEGER REFERENCES methods(id),	-- NULL: no request line
	host_id		INTEGER REFERENCES hosts(id),
	path_id		INTEGER REFERENCES paths(id),
	query		TEXT,			-- without '?', NULL when none
	shape_id	INTEGER REFERENCES shapes(id),
	protocol,				-- no affinity: code 0-5, else text
	status		INTEGER NOT NULL,	-- final status sent to the client
	bytes		INTEGER,		-- body bytes sent, NULL not logged
	request_ms	INTEGER,		-- request time, NULL not logged
	request_id,				-- no affinity: 16-byte blob for 32
						-- lowercase hex digits, else text
	upstream_id	INTEGER NOT NULL REFERENCES upstreams(id),
	n_attempts	INTEGER NOT NULL,	-- attempts (attempts_all)
	cause		INTEGER NOT NULL REFERENCES causes(id),
	error_id	INTEGER,		-- gateway_errors.id joined to the
						-- request itself, or NULL
	a_status	INTEGER,		-- the lone attempt inline, as
	a_connect_ms	INTEGER,		-- attempts' columns of those
	a_header_ms	INTEGER,		-- names; a_cause NULL: no attempt
	a_response_ms	INTEGER,		-- inline (see attempts)
	a_cause		INTEGER REFERENCES causes(id),
	a_error_id	INTEGER
);
-- a: the request's attempt when it is its only one, of group 0, seq 0,
-- to the request's own upstream (as the writer stores it).
INSERT INTO requests_012 (id, source_id, line_no, ts_ms, tz_min, client,
	method_id, host_id, path_id, query, shape_id, protocol, status, bytes,
	request_ms, request_id, upstream_id, n_attempts, cause, error_id,
	a_status, a_connect_ms, a_header_ms, a_response_ms, a_cause,
	a_error_id)
SELECT r.id, r.source_id, r.line_no, r.ts_ms, r.tz_min, r.client,
	r.method_id, r.host_id, r.path_id, r.query, r.shape_id,
	gw_protocol(r.protocol), r.status, r.bytes, r.request_ms,
	gw_request_id(r.request_id), r.upstream_id, r.n_attempts, r.cause,
	r.error_id, a.status, a.connect_ms, a.header_ms, a.response_ms,
	a.cause, a.error_id
FROM requests r LEFT JOIN attempts a ON a.request_id = r.id AND a.seq = 0
	AND r.n_attempts = 1 AND a.grp = 0 AND a.upstream_id = r.upstream_id
	AND NOT EXISTS (SELECT 1 FROM attempts b WHERE b.request_id = r.id
	    AND b.seq <> 0);
DELETE FROM attempts WHERE seq = 0 AND request_id IN
	(SELECT id FROM requests_012 WHERE a_cause IS NOT NULL);
-- Emptied first: a DROP of the full table, after the copy in the same
-- transaction, held every page of it in memory (1M requests: 169 MB of
-- RSS; emptied first, 40 MB).
DELETE FROM requests;
DROP TABLE requests;
ALTER TABLE requests_012 RENAME TO requests;
CREATE INDEX requests_ts ON requests (ts_ms);
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
