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
-- Ids are kept, so attempts and the joins of error-log lines stay as
-- they were. The conversion uses gw_request_id() and gw_protocol(), which
-- the store registers before migrating.

DROP VIEW request_view;

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
	n_attempts	INTEGER NOT NULL,	-- rows in attempts
	cause		INTEGER NOT NULL REFERENCES causes(id),
	error_id	INTEGER			-- gateway_errors.id joined to the
						-- request itself, or NULL
);
INSERT INTO requests_012 (id, source_id, line_no, ts_ms, tz_min, client,
	method_id, host_id, path_id, query, shape_id, protocol, status, bytes,
	request_ms, request_id, upstream_id, n_attempts, cause, error_id)
SELECT r.id, r.source_id, r.line_no, r.ts_ms, r.tz_min, r.client,
	r.method_id, r.host_id, r.path_id, r.query, r.shape_id,
	gw_protocol(r.protocol), r.status, r.bytes, r.request_ms,
	gw_request_id(r.request_id), r.upstream_id, r.n_attempts, r.cause,
	r.error_id
FROM requests r;
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
