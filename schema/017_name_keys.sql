-- 017_name_keys.sql - the keys of paths and shapes in tables of their
-- own, version 17.
--
-- paths and shapes were found through an index on their hash column
-- (006): every new name was a row of the table and an entry of the index,
-- inserted by one statement in one order. The writer queues a
-- transaction's new names and inserts them in key order, so the index's
-- pages are each read and dirtied once a commit (the index outgrows the
-- page cache), but then the table's rows, whose ids the writer gave in
-- the order the names came, went in at random places of its last pages:
-- a seek each and most of its pages split (~1,000 instructions a name).
-- path_keys and shape_keys hold (hash, id), what the index held, as
-- tables without rowid: the rows go in in id order (appended), the keys
-- in key order. A name is found by its hash in the keys, then by id in
-- the table; the keys of deleted rows (prune) go with them (triggers).
CREATE TABLE path_keys (
	hash	INTEGER NOT NULL,	-- paths.hash
	id	INTEGER NOT NULL,	-- paths.id
	PRIMARY KEY (hash, id)
) WITHOUT ROWID;
INSERT INTO path_keys (hash, id) SELECT hash, id FROM paths ORDER BY hash, id;
DROP INDEX paths_hash;
CREATE TRIGGER paths_keys_delete AFTER DELETE ON paths BEGIN
	DELETE FROM path_keys WHERE hash = OLD.hash AND id = OLD.id;
END;
CREATE TABLE shape_keys (
	hash	INTEGER NOT NULL,	-- shapes.hash
	id	INTEGER NOT NULL,	-- shapes.id
	PRIMARY KEY (hash, id)
) WITHOUT ROWID;
INSERT INTO shape_keys (hash, id) SELECT hash, id FROM shapes ORDER BY hash, id;
DROP INDEX shapes_hash;
CREATE TRIGGER shapes_keys_delete AFTER DELETE ON shapes BEGIN
	DELETE FROM shape_keys WHERE hash = OLD.hash AND id = OLD.id;
END;
