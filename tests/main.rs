//! Integration tests: one binary, one module per area. Each test spawns
//! its own service with its own database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod api;
