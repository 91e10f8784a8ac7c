-- Keep each full-text index in few segments. A search reads a word's list in every segment, and
-- the default (merge when a level holds 4) left a common word spread over enough of them that
-- ranking it took 17 ms at the median and 300 ms at p99 over 100,000 articles; with at most about
-- one segment per level, 2.6 and 9 ms. Articles change rarely, so the extra merging costs little.
INSERT INTO articles_fts (articles_fts, rank) VALUES ('automerge', 2);
INSERT INTO articles_fts (articles_fts, rank) VALUES ('usermerge', 2);
INSERT INTO article_heads (article_heads, rank) VALUES ('automerge', 2);
INSERT INTO article_heads (article_heads, rank) VALUES ('usermerge', 2);
-- Bring an existing index to that shape now (nothing to do on a new database).
INSERT INTO articles_fts (articles_fts, rank) VALUES ('merge', 100000000);
INSERT INTO article_heads (article_heads, rank) VALUES ('merge', 100000000);
