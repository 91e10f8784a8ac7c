-- Tickets: what a chat becomes when it ends, or a message left while nobody was available;
-- their history, and the outbox of emails (chat transcripts) a background worker delivers.

-- The id is the ticket's number (#1001, #1002, ...). AUTOINCREMENT so that a number is never
-- reused, even after a ticket is deleted.
CREATE TABLE tickets (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    -- One ticket per chat; NULL for a message left through the widget's "Leave a message".
    chat_id         INTEGER UNIQUE REFERENCES chats(id) ON DELETE SET NULL,
    subject         TEXT NOT NULL,
    -- 'open', 'pending', 'resolved', 'closed'
    status          TEXT NOT NULL,
    requester_name  TEXT NOT NULL,
    requester_email TEXT NOT NULL,
    department_id   INTEGER REFERENCES departments(id) ON DELETE SET NULL,
    assignee_id     INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    -- The message of a "Leave a message" ticket.
    message         TEXT,
    page_url        TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX tickets_updated ON tickets(updated_at);
CREATE INDEX tickets_status ON tickets(status);
CREATE INDEX tickets_assignee ON tickets(assignee_id);
-- Numbers start at 1001.
INSERT INTO sqlite_sequence (name, seq) VALUES ('tickets', 1000);

CREATE TABLE ticket_history (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    staff_id   INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    -- The staff member's name at the time, or 'Visitor' / 'System'.
    actor      TEXT NOT NULL,
    what       TEXT NOT NULL
);
CREATE INDEX ticket_history_ticket ON ticket_history(ticket_id, id);

-- Emails waiting to be delivered, and what became of them. A worker claims due rows by moving
-- next_attempt_at forward (a lease), so a crash mid-send only delays a retry.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    ticket_id       INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    -- 'transcript'
    kind            TEXT NOT NULL,
    to_name         TEXT NOT NULL,
    to_email        TEXT NOT NULL,
    -- 'queued', 'sent', 'failed', 'written'
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    -- Where the .eml file was written when no SMTP server is configured.
    path            TEXT,
    created_at      INTEGER NOT NULL,
    done_at         INTEGER
);
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE status = 'queued';
CREATE INDEX outbox_ticket ON outbox(ticket_id);
