-- 014_source_rewind.sql - where a resumed run reads again from, so a line
-- a container runtime split into partial records is joined whole.
--
-- CRI "P" records and Docker json-file records without "\n" are chunks of
-- one line, held until the record that ends it; position passes them (the
-- lines of the other stream in between were taken). rewind_offset and
-- rewind_line are the byte offset and the lines before the first chunk of
-- the earliest line still held when the batch was stored, NULL when none:
-- a resumed run reads from there, replaying the lines before position only
-- to rebuild the join (parse/lineparse.h), so nothing is stored twice.
ALTER TABLE sources ADD COLUMN rewind_offset INTEGER;
ALTER TABLE sources ADD COLUMN rewind_line INTEGER;
