//! The stack's vocabulary as types, in one place: which consumer (`Consumer`, `Consumers`),
//! the template and its parameters (`template`: `Parameter` with the limits the template
//! declares, read from a stack's values by `ParameterValues`, set by `Override`), a consumer's
//! batching (`batching`: the values given, checked once into a `Tuning`, and a mapping's
//! `Batching`) and the stack's and its resources' statuses (`StackStatus`, `ResourceStatus`,
//! `StackState`). Plain values with no AWS calls, used by every layer that names a part of the
//! stack.

pub(crate) mod batching;
mod consumer;
pub(crate) mod failure_message;
mod status;
pub(crate) mod template;

pub(crate) use consumer::{Consumer, Consumers};
pub(crate) use status::{ResourceStatus, StackState, StackStatus, StuckIn};
pub(crate) use template::{Override, Parameter, ParameterValues};
