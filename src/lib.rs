//! `demo` as a library: the command-line tool's own code, for its binary (a thin `main`), its
//! integration tests and its benchmarks.
//!
//! Floors, bottom up: `model` (the stack's vocabulary as types), `aws`, `output`, `terminal`,
//! `logging` and `emulator` import nothing above them; `artifacts`, `deploy`, `doctor`, `load`,
//! `local`, `report`, `failures`, `insights`, `watch`, `logs` and `invoke` do the work and never
//! see clap; `sweep` drives that work and sits on it; `error` wraps every area's error for
//! `main`; `settings` turns clap's types (`cli`) into each command's settings, and `commands`
//! runs them. No modules import each other (tests/it/layers.rs).

pub mod artifacts;
pub mod aws;
pub mod cli;
pub mod commands;
pub mod deploy;
pub mod doctor;
pub mod emulator;
pub mod error;
pub mod failures;
pub mod insights;
pub mod invoke;
pub mod load;
pub mod local;
pub mod logging;
pub mod logs;
pub mod model;
pub mod output;
pub mod report;
pub mod settings;
pub mod sweep;
pub mod terminal;
pub mod watch;
