//! Server functions for admins: departments and membership, workflow rules, audit trail.
