-- 015_request_blocks.sql - plain requests many to a row, version 15.
--
-- One SQLite row per request (26 columns, a cell in a B-tree, its path
-- interned through two more) bounds one writer at ~470k requests a
-- second at production cardinality (tests/tools/sqlitefloor). Most
-- requests are plain: they succeeded (cause 0) with at most their one
-- inline attempt, and nothing joins to them when they are written (no
-- unjoined error-log line of their client). Those go into blocks: one
-- row holds the requests of consecutive ids of one batch (up to 4096),
-- every column of requests column by column, the path as text rather
-- than paths.id, compressed (store/block.c, store/blocks.c). Request ids
-- stay one sequence over requests and request_blocks (the writer gives
-- them out), request_runs covers them all, and the virtual table
-- requests_all (store/requests_vt.c) reads the rows and the decoded blocks
-- together in id order.
--
-- The writer fills blocks when told to (store_set_blocks: ingest and
-- capture of files do by default, tail and live capture do not; the
-- GW_INGEST_BLOCKS environment switch, cli/util.c). The readers read
-- requests_all while this table holds any (store_reads_blocks), prune
-- takes requests out of blocks as out of rows (blocks_take, rewriting a
-- block the cut falls inside), and `gatewatch sql` gives request_view and
-- attempt_view over requests_all (plain sqlite3's views read the rows
-- only). The one join that can reach a plain request later (an
-- upstream_truncated error-log line) reads requests_all, and the request
-- it finds moves out of its block into the rows before it is updated
-- (store/blocks.c).
CREATE TABLE request_blocks (
	first_id	INTEGER PRIMARY KEY,	-- its smallest request id
	last_id		INTEGER NOT NULL,	-- its largest
	n		INTEGER NOT NULL,	-- requests in it
	data		BLOB NOT NULL		-- store/block.c's encoding
);
