//! Admin pages of the console: team (departments and membership), live chat workflow rules
//! (Automation), and the audit trail.
