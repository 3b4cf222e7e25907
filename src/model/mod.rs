//! The stack's vocabulary as types, in one place: which consumer (`Consumer`, `Consumers`).
//! Plain values with no AWS calls, used by every layer that names a part of the stack.

mod consumer;

pub use consumer::{Consumer, Consumers};
