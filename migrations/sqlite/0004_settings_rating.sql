-- Live chat settings (one row), and the answers to `Ask for rating` for staff averages.

CREATE TABLE chat_settings (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    staff_emojis  INTEGER NOT NULL DEFAULT 1,
    client_emojis INTEGER NOT NULL DEFAULT 1,
    -- 'smiley' or 'star'
    rating_style  TEXT NOT NULL DEFAULT 'star',
    updated_at    INTEGER NOT NULL DEFAULT 0
);
INSERT INTO chat_settings (id) VALUES (1);

-- A chat's latest rating (the answer itself lives in the chat's state and transcript), credited
-- to each staff member the visitor saw in the chat when they answered.
CREATE TABLE chat_ratings (
    chat_id  INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    score    INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (chat_id, staff_id)
) WITHOUT ROWID;
CREATE INDEX chat_ratings_staff ON chat_ratings(staff_id);
