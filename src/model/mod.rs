//! The stack's vocabulary as types, in one place: which consumer (`Consumer`, `Consumers`),
//! the template's parameters (`Parameter`, read from a stack's values by `ParameterValues`) and
//! the stack's and its resources' statuses (`StackStatus`, `ResourceStatus`, `StackState`).
//! Plain values with no AWS calls, used by every layer that names a part of the stack.

mod consumer;
pub(crate) mod failure_message;
mod parameter;
mod status;

pub(crate) use consumer::{Consumer, Consumers};
pub(crate) use parameter::{Parameter, ParameterValues};
pub(crate) use status::{ResourceStatus, StackState, StackStatus, StuckIn};
