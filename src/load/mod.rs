//! `demo load` and `demo verify`: the original notebook's load generator as a real load tool,
//! and the check that every accepted order landed, exactly once, in both tables.
//!
//! `generate` makes orders, `send` posts them (with retries) under `rate`'s pacing, `run` drives
//! the workers, `stats` and `progress` count and show, `report` sums up; `target` says where
//! orders go, `ids` records what was accepted, and `verify` reads it back from DynamoDB.

pub(crate) mod error;
pub(crate) mod flags;
pub(crate) mod generate;
pub(crate) mod ids;
pub(crate) mod progress;
pub(crate) mod rate;
pub(crate) mod report;
pub(crate) mod run;
pub(crate) mod send;
pub(crate) mod stats;
pub(crate) mod target;
pub(crate) mod verify;

pub(crate) use error::LoadError;
