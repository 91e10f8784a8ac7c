-- Titles and keywords only, in an index of their own: the search ranks these matches, and a
-- common word's list here is short, where in articles_fts it holds every body that says it.
CREATE VIRTUAL TABLE article_heads USING fts5(
    title, keywords,
    content = 'articles', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4'
);
INSERT INTO article_heads (article_heads) VALUES ('rebuild');

CREATE TRIGGER article_heads_insert AFTER INSERT ON articles BEGIN
    INSERT INTO article_heads (rowid, title, keywords) VALUES (new.id, new.title, new.keywords);
END;

CREATE TRIGGER article_heads_delete AFTER DELETE ON articles BEGIN
    INSERT INTO article_heads (article_heads, rowid, title, keywords)
    VALUES ('delete', old.id, old.title, old.keywords);
END;

CREATE TRIGGER article_heads_update AFTER UPDATE OF title, keywords ON articles BEGIN
    INSERT INTO article_heads (article_heads, rowid, title, keywords)
    VALUES ('delete', old.id, old.title, old.keywords);
    INSERT INTO article_heads (rowid, title, keywords) VALUES (new.id, new.title, new.keywords);
END;

-- The search now reads `published` from each match's row (a few hundred at most), which is
-- cheaper than a list of every draft when drafts are many.
DROP INDEX articles_drafts;
