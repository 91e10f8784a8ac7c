-- Several server nodes on one database: which nodes are alive, and which staff have a console
-- open on each. A node that stops saying it is alive is forgotten by the others, and its staff
-- with it (their presence rows go by cascade).

CREATE TABLE nodes (
    id      BIGINT PRIMARY KEY,
    seen_at BIGINT NOT NULL
);

CREATE TABLE node_presence (
    node_id  BIGINT NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    staff_id BIGINT NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    PRIMARY KEY (node_id, staff_id)
);
