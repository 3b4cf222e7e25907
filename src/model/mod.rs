//! The stack's vocabulary as types, in one place: which consumer (`Consumer`, `Consumers`) and
//! the template's parameters (`Parameter`, read from a stack's values by `ParameterValues`).
//! Plain values with no AWS calls, used by every layer that names a part of the stack.

mod consumer;
pub mod failure_message;
mod parameter;

pub use consumer::{Consumer, Consumers};
pub use parameter::{Parameter, ParameterValues};
