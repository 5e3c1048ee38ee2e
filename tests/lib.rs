//! The test harness: each test gets its own service on a free port, with
//! its own database (a fresh PostgreSQL database, or SQLite files in a
//! fresh directory) and its own cache namespace.
//!
//! The backend follows the environment:
//! - `SAFECERT_TEST_DATABASE_URL=postgres://…/postgres` creates a new
//!   database per test on that server (unset: SQLite files);
//! - `SAFECERT_TEST_REDIS_URL=redis://…` puts Redis behind the in-process
//!   cache, with a key prefix per test (unset: in-process only).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod app;
pub mod messaging;
mod seeded;

pub use app::{
    ADMIN_TOKEN, Backend, OPERATOR_PASSWORD, Replica, SpawnOptions, TestApp, base32_decode, create_database,
    drop_database, error_of, postgres_admin_url, random_suffix, repo_root, spawn_app, spawn_app_with, totp_now, uscc,
};
pub use seeded::SeededRow;
