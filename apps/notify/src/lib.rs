//! Outgoing messages.
