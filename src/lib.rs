//! `demo` as a library: the command-line tool's own code, for its binary (a thin `main`), its
//! integration tests and its benchmarks. Crate-private by default: only what those three use is
//! `pub` (and the types in its signatures), so rustc's dead-code lint sees everything else.
//!
//! Floors, bottom up: `model` (the stack's vocabulary as types), `epoch`, `aws`, `output`, `terminal`,
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
mod doctor;
mod emulator;
mod epoch;
mod error;
mod failures;
mod insights;
pub mod invoke;
mod load;
pub mod local;
mod logging;
mod logs;
mod model;
mod output;
pub mod report;
mod settings;
mod sweep;
mod terminal;
mod watch;
