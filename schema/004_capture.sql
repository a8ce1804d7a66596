-- 004_capture.sql - what a packet capture counted, one row per capture
-- source (a pcap file or a live interface); see store/capture_stats.h.
CREATE TABLE capture_stats (
	source_id	INTEGER PRIMARY KEY REFERENCES sources(id),
	packets		INTEGER NOT NULL,	-- read by gatewatch
	bytes		INTEGER NOT NULL,
	received	INTEGER,	-- kernel (live), NULL for files
	dropped		INTEGER,	-- dropped by the kernel
	if_dropped	INTEGER,	-- dropped by the interface
	flows		INTEGER NOT NULL,	-- TCP connections
	evicted		INTEGER NOT NULL,	-- flow table full
	gaps		INTEGER NOT NULL,	-- byte ranges lost
	gap_bytes	INTEGER NOT NULL,
	exchanges	INTEGER NOT NULL,	-- request/response pairs
	conn_failures	INTEGER NOT NULL,	-- refused, timed out
	incomplete	INTEGER NOT NULL,	-- hit by a gap or the end
	downstream_failed	INTEGER,	-- gateway mode, else NULL
	downstream_failed_tied	INTEGER
);
