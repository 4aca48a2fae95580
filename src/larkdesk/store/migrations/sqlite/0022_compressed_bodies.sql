-- larkdesk schema, version 22 (issue 13): ticket bodies compressed with zstd and a
-- dictionary trained from the file's own tickets (store/body_codec.py). Each dictionary is
-- kept here for as long as the file lives: a stored body names its dictionary's id. The
-- migration's Python step (migrations.AFTER) trains the first one from the tickets already
-- stored and compresses their bodies in place; `VACUUM` gives the freed pages back.
CREATE TABLE body_dicts (
    n       INTEGER PRIMARY KEY,     -- the order they were added: the newest compresses
    dict_id INTEGER NOT NULL UNIQUE, -- zstd's id, written in each frame's header
    dict    BLOB NOT NULL
);
