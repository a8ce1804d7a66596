-- 003_diagnose.sql - indexes for diagnosis (analyze/, store/diagnose.c).
--
-- Diagnosis looks again and again at the few requests that failed or were
-- retried: retry accounting, failure counts per upstream, example requests
-- for `gatewatch explain` and the shape report. This partial index holds
-- only those (a few percent of the rows, so ingest barely pays for it),
-- in time order, so each of those queries reads them and nothing else.
-- Queries must repeat the condition word for word for SQLite to use it.
CREATE INDEX requests_trouble_ts ON requests (ts_ms)
	WHERE cause <> 0 OR n_attempts > 1;
