-- 006_inline_clients.sql - the row shape for production cardinality,
-- version 6.
--
-- A public site's log holds nearly as many client addresses as lines; the
-- clients table (id, name UNIQUE) cost most requests a B-tree insert at a
-- random place in its name index, which bounded ingest at ~50k lines/s on
-- such logs. So (store/inline.c):
--   * requests.client and gateway_errors.client replace client_id and hold
--     the address itself, in a column without type affinity: a canonical
--     dotted-quad IPv4 address as the integer a<<24|b<<16|c<<8|d, anything
--     else (IPv6, unix:, names) as its text. The clients table goes.
--     printf('%d.%d.%d.%d', c >> 24, (c >> 16) & 255, (c >> 8) & 255,
--     c & 255) gives an integer's text back; the views do it.
--   * requests.local_end_ms becomes a virtual generated column (computed,
--     not stored; the partial join index still holds it).
--   * paths and shapes (which grow with the traffic's variety) lose the
--     UNIQUE index on name for an index on hash: a 64-bit key made with
--     SipHash-1-3 under a key random per database (table name_hash_key),
--     high half from the name without its last digit run, low half that
--     number, so ids that follow each other stay neighbours
--     (store/intern.c, intern_name_key); the
--     store looks a name up by hash and name, and inserts it when absent
--     under its write lock, so names stay unique (store/intern.c). An index
--     of 8-byte hashes is a third of one of the texts: fewer pages dirtied
--     per batch by inserts at random places.
-- Ids of requests and gateway errors are kept, so attempts and the joins
-- between errors and requests stay as they were. The conversion uses
-- gw_client_key(), gw_name_key() and gw_name_hash(),
-- which the store registers on its connection before migrating
-- (store/inline.c, store/intern.c).

DROP VIEW request_view;
DROP VIEW gateway_error_view;

CREATE TABLE requests_006 (
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
	protocol	TEXT,			-- "HTTP/1.1"
	status		INTEGER NOT NULL,	-- final status sent to the client
	bytes		INTEGER,		-- body bytes sent, NULL not logged
	request_ms	INTEGER,		-- request time, NULL not logged
	request_id	TEXT,			-- $request_id or similar
	upstream_id	INTEGER NOT NULL REFERENCES upstreams(id),
	n_attempts	INTEGER NOT NULL,	-- rows in attempts
	cause		INTEGER NOT NULL REFERENCES causes(id),
	error_id	INTEGER			-- gateway_errors.id joined to the
						-- request itself, or NULL
);
INSERT INTO requests_006 (id, source_id, line_no, ts_ms, tz_min, client,
	method_id, host_id, path_id, query, shape_id, protocol, status, bytes,
	request_ms, request_id, upstream_id, n_attempts, cause, error_id)
SELECT r.id, r.source_id, r.line_no, r.ts_ms, r.tz_min,
	gw_client_key(c.name), r.method_id, r.host_id, r.path_id, r.query,
	r.shape_id, r.protocol, r.status, r.bytes, r.request_ms,
	r.request_id, r.upstream_id, r.n_attempts, r.cause,
	r.error_id
FROM requests r LEFT JOIN clients c ON c.id = r.client_id;
DROP TABLE requests;
ALTER TABLE requests_006 RENAME TO requests;
CREATE INDEX requests_ts ON requests (ts_ms);
CREATE INDEX requests_join ON requests (client, path_id, local_end_ms)
	WHERE cause <> 0 OR n_attempts > 1;
CREATE INDEX requests_trouble_ts ON requests (ts_ms)
	WHERE cause <> 0 OR n_attempts > 1;

CREATE TABLE gateway_errors_006 (
	id		INTEGER PRIMARY KEY,
	source_id	INTEGER NOT NULL REFERENCES sources(id),
	line_no		INTEGER NOT NULL,
	local_ms	INTEGER NOT NULL,	-- local wall clock as if UTC ms
	level		INTEGER NOT NULL,
	conn		INTEGER,
	cause		INTEGER NOT NULL REFERENCES causes(id),
	message		TEXT,
	client,					-- as requests.client
	server		TEXT,
	method_id	INTEGER REFERENCES methods(id),
	path_id		INTEGER REFERENCES paths(id),
	query		TEXT,
	upstream_id	INTEGER REFERENCES upstreams(id),
	host_id		INTEGER REFERENCES hosts(id),
	request_id	INTEGER REFERENCES requests(id)	-- NULL until joined
);
INSERT INTO gateway_errors_006 (id, source_id, line_no, local_ms, level,
	conn, cause, message, client, server, method_id, path_id, query,
	upstream_id, host_id, request_id)
SELECT e.id, e.source_id, e.line_no, e.local_ms, e.level, e.conn, e.cause,
	e.message, gw_client_key(c.name), e.server, e.method_id, e.path_id,
	e.query, e.upstream_id, e.host_id, e.request_id
FROM gateway_errors e LEFT JOIN clients c ON c.id = e.client_id;
DROP TABLE gateway_errors;
ALTER TABLE gateway_errors_006 RENAME TO gateway_errors;
CREATE INDEX gateway_errors_unjoined ON gateway_errors
	(client, path_id, local_ms) WHERE request_id IS NULL;

DROP TABLE clients;

-- The key of gw_name_hash(): one row, drawn once per database.
CREATE TABLE name_hash_key (
	k0	INTEGER NOT NULL,
	k1	INTEGER NOT NULL
);
INSERT INTO name_hash_key (k0, k1) VALUES (gw_name_key(0), gw_name_key(1));
CREATE TABLE paths_006 (
	id	INTEGER PRIMARY KEY,
	name	TEXT NOT NULL,		-- request path without the query
	hash	INTEGER NOT NULL	-- gw_name_hash(name)
);
INSERT INTO paths_006 (id, name, hash)
	SELECT id, name, gw_name_hash(name) FROM paths;
DROP TABLE paths;
ALTER TABLE paths_006 RENAME TO paths;
CREATE INDEX paths_hash ON paths (hash);
CREATE TABLE shapes_006 (
	id	INTEGER PRIMARY KEY,
	name	TEXT NOT NULL,		-- query shape (parse/query.h)
	hash	INTEGER NOT NULL	-- gw_name_hash(name)
);
INSERT INTO shapes_006 (id, name, hash)
	SELECT id, name, gw_name_hash(name) FROM shapes;
DROP TABLE shapes;
ALTER TABLE shapes_006 RENAME TO shapes;
CREATE INDEX shapes_hash ON shapes (hash);

CREATE VIEW request_view AS
SELECT r.id, s.path AS source, r.line_no,
	strftime('%Y-%m-%dT%H:%M:%fZ', r.ts_ms / 1000.0, 'unixepoch') AS time,
	r.ts_ms, r.tz_min,
	CASE typeof(r.client) WHEN 'integer' THEN printf('%d.%d.%d.%d',
	    r.client >> 24, (r.client >> 16) & 255, (r.client >> 8) & 255,
	    r.client & 255) ELSE r.client END AS client,
	m.name AS method, h.name AS host,
	p.name AS path, r.query, sh.name AS shape, r.protocol, r.status,
	r.bytes, r.request_ms, r.request_id, u.name AS upstream, r.n_attempts,
	c.name AS cause, r.error_id
FROM requests r
JOIN sources s ON s.id = r.source_id
JOIN causes c ON c.id = r.cause
JOIN upstreams u ON u.id = r.upstream_id
LEFT JOIN methods m ON m.id = r.method_id
LEFT JOIN hosts h ON h.id = r.host_id
LEFT JOIN paths p ON p.id = r.path_id
LEFT JOIN shapes sh ON sh.id = r.shape_id;

CREATE VIEW gateway_error_view AS
SELECT e.id, s.path AS source, e.line_no,
	strftime('%Y-%m-%dT%H:%M:%f', e.local_ms / 1000.0, 'unixepoch')
	    AS local_time,
	e.level, e.conn, c.name AS cause, e.message,
	CASE typeof(e.client) WHEN 'integer' THEN printf('%d.%d.%d.%d',
	    e.client >> 24, (e.client >> 16) & 255, (e.client >> 8) & 255,
	    e.client & 255) ELSE e.client END AS client,
	e.server, m.name AS method, p.name AS path, e.query,
	u.name AS upstream, h.name AS host, e.request_id
FROM gateway_errors e
JOIN sources s ON s.id = e.source_id
JOIN causes c ON c.id = e.cause
LEFT JOIN methods m ON m.id = e.method_id
LEFT JOIN paths p ON p.id = e.path_id
LEFT JOIN upstreams u ON u.id = e.upstream_id
LEFT JOIN hosts h ON h.id = e.host_id;
