-- Staff presence, routing (live chat workflow rules), and the audit trail of chat operations.

-- The status a staff member chose; they count as offline whenever no console of theirs is open.
ALTER TABLE staff ADD COLUMN status TEXT NOT NULL DEFAULT 'online';

-- Where routing sent the chat (JSON of routing::Route) and whom it is offered to now.
ALTER TABLE chats ADD COLUMN route TEXT NOT NULL DEFAULT '"Everyone"';
ALTER TABLE chats ADD COLUMN offered_to INTEGER REFERENCES staff(id) ON DELETE SET NULL;

CREATE TABLE routing_rules (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    position   INTEGER NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 1,
    -- 'all' or 'any'
    matching   TEXT NOT NULL,
    -- JSON of Vec<routing::Condition> and of routing::Action
    conditions TEXT NOT NULL,
    action     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX routing_rules_position ON routing_rules(position);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    staff_id   INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    staff_name TEXT NOT NULL,
    chat_id    INTEGER REFERENCES chats(id) ON DELETE CASCADE,
    -- rules::Op as text, e.g. 'JoinInvisibly'
    op         TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log(at);
