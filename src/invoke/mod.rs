//! `demo invoke`: one function invoked once, with an event built as the function would receive
//! it, and what it answered, logged and measured.

pub mod report;
