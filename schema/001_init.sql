-- 001_init.sql - gatewatch's database, version 1.
--
-- Applied once by the store (store/db.c) inside a transaction; afterwards
-- PRAGMA user_version = 1. Later changes go into 002_*.sql and so on, never
-- into this file.
--
-- Conventions for anyone querying with sqlite3:
--   * times are UTC milliseconds since the epoch (ts_ms), except error-log
--     times (local_ms), which are the gateway's wall clock written as if UTC;
--   * durations are milliseconds; -1 or NULL means "not logged" ("-");
--   * causes are small integers: join causes ON causes.id = x.cause for the
--     name (ok, upstream_refused, ...; see shared/causes.md);
--   * repeated strings (upstreams, hosts, paths, query shapes, clients,
--     methods) are stored once in their own table and referenced by id;
--     the *_view views below show every table with names instead of ids.
--
-- Foreign keys are declared for documentation; the store does not turn on
-- PRAGMA foreign_keys (it checks the source of a batch once instead of every
-- row, to keep ingest fast).

-- Every cause of shared/causes.md; id = enum gw_cause in core/cause.h.
CREATE TABLE causes (
	id	INTEGER PRIMARY KEY,	-- the value stored in x.cause
	name	TEXT NOT NULL UNIQUE,	-- stable name: ok, upstream_refused...
	who	TEXT NOT NULL		-- who failed: network, upstream,
					-- gateway, client, or '-'
);
INSERT INTO causes (id, name, who) VALUES
	(0, 'ok', '-'),
	(1, 'unknown', '-'),
	(2, 'upstream_refused', 'network'),
	(3, 'upstream_connect_timeout', 'network'),
	(4, 'upstream_unreachable', 'network'),
	(5, 'dns_failure', 'network'),
	(6, 'tls_failure', 'network'),
	(7, 'upstream_reset', 'upstream'),
	(8, 'upstream_closed_early', 'upstream'),
	(9, 'upstream_read_timeout', 'upstream'),
	(10, 'upstream_invalid_response', 'upstream'),
	(11, 'upstream_header_too_big', 'upstream'),
	(12, 'upstream_truncated', 'upstream'),
	(13, 'upstream_5xx', 'upstream'),
	(14, 'no_live_upstream', 'gateway'),
	(15, 'upstream_overloaded', 'gateway'),
	(16, 'rate_limited', 'gateway'),
	(17, 'auth_failure', 'gateway'),
	(18, 'no_route', 'gateway'),
	(19, 'gateway_internal', 'gateway'),
	(20, 'client_closed', 'client');

-- One input read: a log file (or stdin). Re-reading the same content
-- resumes at position instead of storing its lines twice.
CREATE TABLE sources (
	id		INTEGER PRIMARY KEY,
	path		TEXT NOT NULL,	-- as given on the command line; '-' = stdin
	kind		TEXT NOT NULL,	-- nginx_access, nginx_error, ...
	format		TEXT,		-- log format name or text, NULL = default
	dev		INTEGER NOT NULL DEFAULT 0,	-- st_dev when last opened, 0 unknown
	ino		INTEGER NOT NULL DEFAULT 0,	-- st_ino when last opened, 0 unknown
	fingerprint	BLOB,		-- first bytes of the content: its identity
	position	INTEGER NOT NULL DEFAULT 0,	-- byte offset read and stored so far
	line_no		INTEGER NOT NULL DEFAULT 0,	-- lines read and stored so far
	first_seen_ms	INTEGER NOT NULL,	-- UTC ms when first opened
	last_seen_ms	INTEGER NOT NULL	-- UTC ms of the last batch stored
);

-- Interned strings: each distinct value once, referenced by id.
CREATE TABLE upstreams (
	id	INTEGER PRIMARY KEY,
	name	TEXT NOT NULL UNIQUE	-- "10.0.0.5:8080", "unix:/x", a group
					-- name, or '-' for "no upstream"
);
CREATE TABLE hosts (
	id	INTEGER PRIMARY KEY,
	name	TEXT NOT NULL UNIQUE	-- Host header / server name
);
CREATE TABLE paths (
	id	INTEGER PRIMARY KEY,
	name	TEXT NOT NULL UNIQUE	-- request path without the query
);
CREATE TABLE shapes (
	id	INTEGER PRIMARY KEY,
	name	TEXT NOT NULL UNIQUE	-- query shape (parse/query.h)
);
CREATE TABLE clients (
	id	INTEGER PRIMARY KEY,
	name	TEXT NOT NULL UNIQUE	-- client address, IPv4 or IPv6 text
);
CREATE TABLE methods (
	id	INTEGER PRIMARY KEY,
	name	TEXT NOT NULL UNIQUE	-- GET, POST, ...
);

-- One request as the gateway answered it (one access-log line).
CREATE TABLE requests (
	id		INTEGER PRIMARY KEY,
	source_id	INTEGER NOT NULL REFERENCES sources(id),
	line_no		INTEGER NOT NULL,	-- 1-based line in the source
	ts_ms		INTEGER NOT NULL,	-- request end, UTC ms
	tz_min		INTEGER NOT NULL,	-- the log's UTC offset, minutes
	local_end_ms	INTEGER NOT NULL,	-- ts_ms + tz_min * 60000: the end
						-- on the gateway's wall clock, to
						-- join error-log lines
	client_id	INTEGER REFERENCES clients(id),	-- NULL when not logged
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
						-- upstream of the last attempt
						-- (its answer was final); '-'
						-- when no upstream was tried
	n_attempts	INTEGER NOT NULL,	-- rows in attempts
	cause		INTEGER NOT NULL REFERENCES causes(id),	-- 0 = ok;
						-- refined by joined errors
	error_id	INTEGER			-- gateway_errors.id joined to the
						-- request itself (an error line
						-- naming no upstream), or NULL
);
-- Time-bounded reports and first/last times.
CREATE INDEX requests_ts ON requests (ts_ms);
-- Joining an error-log line to its request is one lookup.
CREATE INDEX requests_join ON requests (client_id, path_id, local_end_ms)
	WHERE cause <> 0 OR n_attempts > 1;
CREATE INDEX requests_local_end ON requests (local_end_ms);

-- One try of one upstream for a request ($upstream_addr and friends).
CREATE TABLE attempts (
	request_id	INTEGER NOT NULL REFERENCES requests(id),
	seq		INTEGER NOT NULL,	-- 0-based order within the request
	grp		INTEGER NOT NULL,	-- internal-redirect group (" : ")
	upstream_id	INTEGER NOT NULL REFERENCES upstreams(id),
	status		INTEGER,		-- status the attempt ended with;
						-- 9 = nginx "009" (not HTTP)
	connect_ms	INTEGER,		-- NULL = phase not reached
	header_ms	INTEGER,
	response_ms	INTEGER,
	cause		INTEGER NOT NULL REFERENCES causes(id),	-- 0 = ok
	error_id	INTEGER,		-- gateway_errors.id joined to this
						-- attempt, NULL none
	PRIMARY KEY (request_id, seq)
) WITHOUT ROWID;

-- One line of the gateway's own error log that tells why an exchange
-- failed (nginx error.log).
CREATE TABLE gateway_errors (
	id		INTEGER PRIMARY KEY,
	source_id	INTEGER NOT NULL REFERENCES sources(id),
	line_no		INTEGER NOT NULL,	-- 1-based line in the source
	local_ms	INTEGER NOT NULL,	-- time as written (local wall
						-- clock), as if it were UTC ms
	level		INTEGER NOT NULL,	-- 0 emerg .. 3 error, 4 warn .. 7 debug
	conn		INTEGER,		-- nginx "*567" connection, NULL none
	cause		INTEGER NOT NULL REFERENCES causes(id),	-- 1 = unknown:
						-- no rule matched the message
	message		TEXT,			-- the message up to ", client:"
	client_id	INTEGER REFERENCES clients(id),
	server		TEXT,
	method_id	INTEGER REFERENCES methods(id),
	path_id		INTEGER REFERENCES paths(id),
	query		TEXT,
	upstream_id	INTEGER REFERENCES upstreams(id),	-- host:port or group
						-- name from "upstream:", NULL none
	host_id		INTEGER REFERENCES hosts(id),
	request_id	INTEGER REFERENCES requests(id)	-- the request it was
						-- joined to; NULL until joined
);
-- Unjoined errors of a client and path, by time: the other side of the join.
CREATE INDEX gateway_errors_unjoined ON gateway_errors
	(client_id, path_id, local_ms) WHERE request_id IS NULL;

-- A line no parser understood; kept so nothing is silently lost.
CREATE TABLE rejects (
	id		INTEGER PRIMARY KEY,
	source_id	INTEGER NOT NULL REFERENCES sources(id),
	line_no		INTEGER NOT NULL,	-- 1-based line in the source
	offset		INTEGER NOT NULL,	-- byte offset of the line
	reason		TEXT NOT NULL,		-- why the parser refused it
	raw		BLOB NOT NULL		-- the line, cut at 4 KiB; may hold NULs
);

-- Requests per minute, kept by the store in the same transaction as the
-- rows (reports read these instead of scanning requests).
CREATE TABLE rollup_minute (
	minute		INTEGER NOT NULL,	-- ts_ms / 60000 (UTC minute)
	source_id	INTEGER NOT NULL,
	upstream_id	INTEGER NOT NULL,	-- as requests.upstream_id
	status		INTEGER NOT NULL,
	cause		INTEGER NOT NULL,
	requests	INTEGER NOT NULL,	-- requests in the group
	request_ms_sum	INTEGER NOT NULL,	-- sum of request_ms where logged
	request_ms_n	INTEGER NOT NULL,	-- requests with request_ms logged
	bytes_sum	INTEGER NOT NULL,	-- sum of bytes where logged
	PRIMARY KEY (minute, source_id, upstream_id, status, cause)
) WITHOUT ROWID;

-- Upstream attempts per minute of their request, by the attempt's own
-- upstream, status (-1 = none) and cause.
CREATE TABLE rollup_attempt_minute (
	minute		INTEGER NOT NULL,	-- the request's ts_ms / 60000
	source_id	INTEGER NOT NULL,
	upstream_id	INTEGER NOT NULL,
	status		INTEGER NOT NULL,
	cause		INTEGER NOT NULL,
	attempts	INTEGER NOT NULL,
	PRIMARY KEY (minute, source_id, upstream_id, status, cause)
) WITHOUT ROWID;

-- Small facts the store keeps between runs.
CREATE TABLE store_meta (
	key	TEXT PRIMARY KEY,	-- max_request_ms: the longest request
					-- stored, bounds the join's time window
	value	INTEGER NOT NULL
) WITHOUT ROWID;

-- The tables with names instead of ids, for people using sqlite3.
CREATE VIEW request_view AS
SELECT r.id, s.path AS source, r.line_no,
	strftime('%Y-%m-%dT%H:%M:%fZ', r.ts_ms / 1000.0, 'unixepoch') AS time,
	r.ts_ms, r.tz_min, cl.name AS client, m.name AS method, h.name AS host,
	p.name AS path, r.query, sh.name AS shape, r.protocol, r.status,
	r.bytes, r.request_ms, r.request_id, u.name AS upstream, r.n_attempts,
	c.name AS cause, r.error_id
FROM requests r
JOIN sources s ON s.id = r.source_id
JOIN causes c ON c.id = r.cause
JOIN upstreams u ON u.id = r.upstream_id
LEFT JOIN clients cl ON cl.id = r.client_id
LEFT JOIN methods m ON m.id = r.method_id
LEFT JOIN hosts h ON h.id = r.host_id
LEFT JOIN paths p ON p.id = r.path_id
LEFT JOIN shapes sh ON sh.id = r.shape_id;

CREATE VIEW attempt_view AS
SELECT a.request_id, a.seq, a.grp, u.name AS upstream, a.status,
	a.connect_ms, a.header_ms, a.response_ms, c.name AS cause, a.error_id
FROM attempts a
JOIN upstreams u ON u.id = a.upstream_id
JOIN causes c ON c.id = a.cause;

CREATE VIEW gateway_error_view AS
SELECT e.id, s.path AS source, e.line_no,
	strftime('%Y-%m-%dT%H:%M:%f', e.local_ms / 1000.0, 'unixepoch')
	    AS local_time,
	e.level, e.conn, c.name AS cause, e.message, cl.name AS client,
	e.server, m.name AS method, p.name AS path, e.query,
	u.name AS upstream, h.name AS host, e.request_id
FROM gateway_errors e
JOIN sources s ON s.id = e.source_id
JOIN causes c ON c.id = e.cause
LEFT JOIN clients cl ON cl.id = e.client_id
LEFT JOIN methods m ON m.id = e.method_id
LEFT JOIN paths p ON p.id = e.path_id
LEFT JOIN upstreams u ON u.id = e.upstream_id
LEFT JOIN hosts h ON h.id = e.host_id;
