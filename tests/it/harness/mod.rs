//! Shared test harness: the emulator, SDK configuration pointed at it, unique resource names.

pub mod artifacts;
pub mod cli;
pub mod emulator;
pub mod resources;
pub mod runtime_api;
pub mod sso_portal;

pub use emulator::{emulator, sdk_config, unique_name};
