-- 011_capture_requests_dropped.sql - requests a capture gave up because
-- the requests awaiting answers filled its memory budget (or passed one
-- connection's pipelining limit), so a report says the wire's picture
-- lacks them; see store/capture_stats.h.
ALTER TABLE capture_stats ADD COLUMN requests_dropped INTEGER NOT NULL DEFAULT 0;
