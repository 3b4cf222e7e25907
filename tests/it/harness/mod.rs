//! Shared test harness: the emulator, SDK configuration pointed at it, unique resource names.

pub mod emulator;

pub use emulator::{emulator, sdk_config, unique_name};
