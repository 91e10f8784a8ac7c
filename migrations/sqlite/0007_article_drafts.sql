-- Article search leaves drafts out by skipping the ids listed here (few, as a rule), instead of
-- reading every matching article's row to see whether it is published.
CREATE INDEX articles_drafts ON articles(id) WHERE published = 0;
