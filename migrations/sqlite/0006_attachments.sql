-- Attachments: the live chat settings for files, the files shared in chats, and the Drive
-- (the helpdesk's shared file store). The bytes live under the data directory; a row names
-- them by their storage key.

ALTER TABLE chat_settings ADD COLUMN visitor_attachments INTEGER NOT NULL DEFAULT 1;
ALTER TABLE chat_settings ADD COLUMN max_file_bytes INTEGER NOT NULL DEFAULT 10485760;
ALTER TABLE chat_settings ADD COLUMN block_executables INTEGER NOT NULL DEFAULT 1;
ALTER TABLE chat_settings ADD COLUMN block_scripts INTEGER NOT NULL DEFAULT 1;
ALTER TABLE chat_settings ADD COLUMN block_archives INTEGER NOT NULL DEFAULT 0;

CREATE TABLE chat_attachments (
    id           INTEGER PRIMARY KEY,
    chat_id      INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    blob_key     TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    -- NULL: the visitor.
    staff_id     INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX chat_attachments_chat ON chat_attachments(chat_id);

CREATE TABLE drive_folders (
    id         INTEGER PRIMARY KEY,
    -- NULL: at the top of the Drive.
    parent_id  INTEGER REFERENCES drive_folders(id),
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
-- One name per folder; the top level counts as folder 0.
CREATE UNIQUE INDEX drive_folders_name ON drive_folders(COALESCE(parent_id, 0), name COLLATE NOCASE);

CREATE TABLE drive_files (
    id           INTEGER PRIMARY KEY,
    folder_id    INTEGER REFERENCES drive_folders(id),
    blob_key     TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX drive_files_folder ON drive_files(folder_id);
