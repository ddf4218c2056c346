//! Black-box API tests: a real server on a free port, called over HTTP.
//!
//! Each test spawns its own app with a fresh database and a unique store prefix
//! (`helpers::spawn_app`). Tests declared with `backend_test!` also run against
//! PostgreSQL, MySQL/MariaDB and Redis when `QBLOG_TEST_*_URL` name them.

mod helpers;

mod blog;
mod comment;
mod contract;
mod envelope;
mod faults;
mod health;
mod observability;
mod qrcode;
mod qrcode_bcp;
mod sessions;
mod user;
