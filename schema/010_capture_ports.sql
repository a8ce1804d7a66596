-- 010_capture_ports.sql - gateway-host mode (capture --listen): per gateway
-- port, how many client requests failed and how many of those were tied
-- to an upstream attempt; see store/capture_stats.h.
CREATE TABLE capture_ports (
	source_id	INTEGER NOT NULL REFERENCES sources(id),
	port		INTEGER NOT NULL,	-- the gateway's listen port
	requests	INTEGER NOT NULL,	-- client requests answered
	failed		INTEGER NOT NULL,	-- 5xx, 009 or a wire cause
	failed_tied	INTEGER NOT NULL,	-- of those, with an attempt
	PRIMARY KEY (source_id, port)
);
