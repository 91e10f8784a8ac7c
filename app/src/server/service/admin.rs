//! Admin operations of the service: departments and membership, workflow rules, audit trail.
