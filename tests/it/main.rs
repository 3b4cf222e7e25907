//! The integration tests: one binary, run against the real emulator (moto) and the real `demo`.

mod functions;
mod harness;
mod template;
