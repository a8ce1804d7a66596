-- Rejected lines counted per source and reason, exactly, whether or not
-- the line itself is kept: a source keeps its first 1,000 rejected lines
-- in rejects, then 1 in 1,000 (store/reject.c), so a file of garbage
-- cannot grow the database without limit.
CREATE TABLE reject_counts (
	source_id	INTEGER NOT NULL REFERENCES sources(id),
	reason		TEXT NOT NULL,
	rejected	INTEGER NOT NULL,	-- lines rejected for this reason
	kept		INTEGER NOT NULL,	-- of them, kept in rejects
	PRIMARY KEY (source_id, reason)
);
INSERT INTO reject_counts (source_id, reason, rejected, kept)
	SELECT source_id, reason, count(*), count(*) FROM rejects
	GROUP BY source_id, reason;
