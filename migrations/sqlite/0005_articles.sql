-- Solution articles: the knowledge base staff write and insert into chats. A published article
-- has a public page at /kb/<slug>; a draft is seen by staff only.

CREATE TABLE articles (
    id          INTEGER PRIMARY KEY,
    -- Made from the title when the article is created, then kept, so that links already sent
    -- to visitors keep working.
    slug        TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    -- Markdown.
    body        TEXT NOT NULL,
    -- Words people search with that the text may not contain, separated by commas or spaces.
    keywords    TEXT NOT NULL DEFAULT '',
    published   INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    updated_by  INTEGER REFERENCES staff(id) ON DELETE SET NULL
);
CREATE INDEX articles_updated ON articles(updated_at);

-- Full-text index over the articles table (external content: the text is stored once), kept in
-- step by the triggers below. Column order matters: bm25() weights are given in this order.
-- No stemmer, so that a prefix typed so far ("passw") matches what the article says ("password");
-- the prefix indexes make those prefix queries cheap.
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, keywords, body,
    content = 'articles', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4'
);

CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, keywords, body)
    VALUES (new.id, new.title, new.keywords, new.body);
END;

CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, keywords, body)
    VALUES ('delete', old.id, old.title, old.keywords, old.body);
END;

CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, keywords, body ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, keywords, body)
    VALUES ('delete', old.id, old.title, old.keywords, old.body);
    INSERT INTO articles_fts (rowid, title, keywords, body)
    VALUES (new.id, new.title, new.keywords, new.body);
END;
