//! The part a reported function plays in the stack: the producer, or one of the consumers.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::model::Consumer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Producer,
    Consumer(Consumer),
}

impl Role {
    /// The consumer it is, if it is one.
    pub(crate) fn consumer(self) -> Option<Consumer> {
        match self {
            Role::Producer => None,
            Role::Consumer(consumer) => Some(consumer),
        }
    }
}

/// "producer", "consumer 1", "consumer 2": the table's heading and the JSON's `role`.
impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Producer => write!(f, "producer"),
            Role::Consumer(consumer) => write!(f, "consumer {consumer}"),
        }
    }
}

/// As its text, as the report's JSON has always carried it.
impl Serialize for Role {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_reads_and_serializes_as_before() {
        assert_eq!(Role::Producer.to_string(), "producer");
        let two = Role::Consumer(Consumer::Two);
        assert_eq!(two.to_string(), "consumer 2");
        assert_eq!(
            serde_json::to_string(&two).ok().as_deref(),
            Some("\"consumer 2\"")
        );
        assert_eq!(two.consumer(), Some(Consumer::Two));
        assert_eq!(Role::Producer.consumer(), None);
    }
}
