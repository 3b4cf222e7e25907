//! The stack's two consumers (put-item-1 behind mapping 1, put-item-2 behind mapping 2), and
//! which of them a command acts on.

use std::fmt;

use serde::{Serialize, Serializer};

/// One of the stack's two consumers: its function, its mapping, its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Consumer {
    /// put-item-1: the original's "higher duration, lower cost" (100 / 30 s by default).
    One,
    /// put-item-2: the original's "lower duration, higher cost" (10 / 2 s by default).
    Two,
}

impl Consumer {
    /// Both, in order.
    pub(crate) const ALL: [Consumer; 2] = [Consumer::One, Consumer::Two];

    /// The number people and the template use: 1 or 2.
    pub(crate) fn number(self) -> usize {
        match self {
            Consumer::One => 1,
            Consumer::Two => 2,
        }
    }

    /// The consumer people call `number` (1 or 2); None for any other.
    pub(crate) fn from_number(number: usize) -> Option<Consumer> {
        Consumer::ALL.into_iter().find(|c| c.number() == number)
    }

    /// Its place in per-consumer lists kept in consumer order (tables, flags).
    pub(crate) fn index(self) -> usize {
        match self {
            Consumer::One => 0,
            Consumer::Two => 1,
        }
    }

    /// The function's role in the stack, as its physical name ends: `<stack>-put-item-1`.
    pub(crate) const fn function(self) -> &'static str {
        match self {
            Consumer::One => "put-item-1",
            Consumer::Two => "put-item-2",
        }
    }
}

/// Read as its number, as messages always said it ("consumer 2").
impl fmt::Display for Consumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.number())
    }
}

/// A number in JSON, as the outputs have always carried it.
impl Serialize for Consumer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.number() as u64)
    }
}

/// Which consumer(s) a command acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Consumers {
    One,
    Two,
    All,
}

impl Consumers {
    /// The consumers chosen, in order.
    pub(crate) fn members(self) -> &'static [Consumer] {
        match self {
            Consumers::One => &[Consumer::One],
            Consumers::Two => &[Consumer::Two],
            Consumers::All => &Consumer::ALL,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_consumer_is_its_number_to_people_and_in_json() {
        assert_eq!(Consumer::Two.to_string(), "2");
        assert_eq!(serde_json::to_string(&Consumer::One).unwrap(), "1");
        assert_eq!(Consumer::from_number(2), Some(Consumer::Two));
        for other in [0, 3] {
            assert_eq!(Consumer::from_number(other), None, "{other}");
        }
        assert_eq!(Consumer::Two.function(), "put-item-2");
        assert_eq!(Consumer::Two.index(), 1);
    }

    #[test]
    fn a_selection_names_its_consumers_in_order() {
        assert_eq!(Consumers::All.members(), Consumer::ALL);
        assert_eq!(Consumers::One.members(), [Consumer::One]);
        assert_eq!(Consumers::Two.members(), [Consumer::Two]);
    }
}
