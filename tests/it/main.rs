//! The integration tests: one binary, run against the real emulator (moto) and the real `demo`.

mod build;
mod doctor;
mod failures;
mod functions;
mod harness;
mod help;
mod host;
mod invoke;
mod layers;
mod lifecycle;
mod load;
mod local;
mod logs;
mod offline;
mod recreate;
mod report;
mod serve;
mod signin;
mod sweep;
mod template;
mod tune;
mod up;
mod upgrade;
