//! `demo load` and `demo verify`: the original notebook's load generator as a real load tool,
//! and the check that every accepted order landed, exactly once, in both tables.
//!
//! `generate` makes orders, `send` posts them (with retries) under `rate`'s pacing, `run` drives
//! the workers, `stats` and `progress` count and show, `report` sums up; `target` says where
//! orders go, `ids` records what was accepted, and `verify` reads it back from DynamoDB.

pub mod error;
pub mod flags;
pub mod generate;
pub mod ids;
pub mod progress;
pub mod rate;
pub mod report;
pub mod run;
pub mod send;
pub mod stats;
pub mod target;
pub mod verify;

pub use error::LoadError;
