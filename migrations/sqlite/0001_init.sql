-- Times are milliseconds since the Unix epoch.

CREATE TABLE departments (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at INTEGER NOT NULL
);

CREATE TABLE staff (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE staff_departments (
    staff_id      INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    department_id INTEGER NOT NULL REFERENCES departments(id) ON DELETE CASCADE,
    PRIMARY KEY (staff_id, department_id)
);

-- Only a hash of the cookie's token is kept, so a copy of the database opens no session.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id   INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE chats (
    id            INTEGER PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    visitor_name  TEXT NOT NULL,
    visitor_email TEXT NOT NULL,
    question      TEXT NOT NULL,
    department_id INTEGER REFERENCES departments(id) ON DELETE SET NULL,
    page_url      TEXT,
    phase         TEXT NOT NULL,
    -- The rules' ChatState as JSON: roles, offers, rating.
    state         TEXT NOT NULL,
    last_seq      INTEGER NOT NULL DEFAULT 0,
    -- Bumped on every change, also the ones that add no event (an invisible join).
    version       INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX chats_open ON chats(phase) WHERE phase <> 'Ended';

CREATE TABLE chat_events (
    chat_id   INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    -- 'everyone' or 'staff': the visitor's socket reads only 'everyone'.
    audience  TEXT NOT NULL,
    client_id TEXT,
    event     TEXT NOT NULL,
    at        INTEGER NOT NULL,
    PRIMARY KEY (chat_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX chat_events_client ON chat_events(chat_id, client_id) WHERE client_id IS NOT NULL;
