//! Whether DynamoDB will store an item, judged as DynamoDB judges it: every number, the key, the size.
//!
//! One refused item makes DynamoDB refuse the whole `BatchWriteItem` call, so the consumer runs
//! this on each item before writing and reports the ones that fail on their own.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::KEY;
use crate::number::{self, NumberError};
use crate::shorten;

/// DynamoDB's item size limit: 400 KB, attribute names included.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// DynamoDB's limit on a partition key value.
pub const MAX_PARTITION_KEY_BYTES: usize = 2048;

/// Why DynamoDB would refuse an item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemError {
    #[error("attribute {attribute} {error}")]
    Number {
        attribute: String,
        error: NumberError,
    },
    #[error("key attribute {attribute} is missing; the tables are keyed by {KEY}")]
    KeyMissing { attribute: &'static str },
    #[error("key attribute {attribute} must be a string (S), as the tables declare it")]
    KeyNotText { attribute: &'static str },
    #[error("key attribute {attribute} must not be empty")]
    KeyEmpty { attribute: &'static str },
    #[error(
        "key attribute {attribute} is {bytes} bytes; DynamoDB allows at most {limit} bytes in a {role} key"
    )]
    KeyTooLong {
        attribute: &'static str,
        role: &'static str,
        bytes: usize,
        limit: usize,
    },
    #[error(
        "the item is {bytes} bytes as DynamoDB counts them (names + values); the limit is {MAX_ITEM_BYTES} bytes (400 KB), so shorten its text"
    )]
    TooLarge { bytes: usize },
}

/// Checks `item` against DynamoDB's rules for the orders tables; the first problem found wins,
/// key first, then numbers (in attribute name order), then size.
pub fn check(item: &HashMap<String, AttributeValue>) -> Result<(), ItemError> {
    check_key(item, KEY, "partition", MAX_PARTITION_KEY_BYTES)?;
    let mut names: Vec<&String> = item.keys().collect();
    names.sort();
    for name in names {
        check_numbers(&shorten(name), &item[name])?;
    }
    let bytes = item_size(item);
    if bytes > MAX_ITEM_BYTES {
        return Err(ItemError::TooLarge { bytes });
    }
    Ok(())
}

/// The item's size as DynamoDB counts it: for each attribute, its name's UTF-8 bytes plus its
/// value's size (strings by UTF-8 bytes, numbers by significant digits, lists and maps with
/// their overhead).
pub fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn check_key(
    item: &HashMap<String, AttributeValue>,
    attribute: &'static str,
    role: &'static str,
    limit: usize,
) -> Result<(), ItemError> {
    let value = item
        .get(attribute)
        .ok_or(ItemError::KeyMissing { attribute })?;
    let text = value
        .as_s()
        .map_err(|_| ItemError::KeyNotText { attribute })?;
    if text.is_empty() {
        return Err(ItemError::KeyEmpty { attribute });
    }
    if text.len() > limit {
        return Err(ItemError::KeyTooLong {
            attribute,
            role,
            bytes: text.len(),
            limit,
        });
    }
    Ok(())
}

/// Every number in `value`, nested ones included; `path` names the attribute in the error.
fn check_numbers(path: &str, value: &AttributeValue) -> Result<(), ItemError> {
    let refused = |error: NumberError| ItemError::Number {
        attribute: path.to_owned(),
        error,
    };
    match value {
        AttributeValue::N(text) => number::check(text).map_err(refused),
        AttributeValue::Ns(texts) => texts
            .iter()
            .try_for_each(|text| number::check(text).map_err(refused)),
        AttributeValue::L(values) => values
            .iter()
            .enumerate()
            .try_for_each(|(index, value)| check_numbers(&format!("{path}[{index}]"), value)),
        AttributeValue::M(values) => {
            let mut names: Vec<&String> = values.keys().collect();
            names.sort();
            names.into_iter().try_for_each(|name| {
                check_numbers(&format!("{path}.{}", shorten(name)), &values[name])
            })
        }
        _ => Ok(()),
    }
}

/// One value's size by DynamoDB's published rules ("Item sizes and formats").
fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::N(text) => number_size(text),
        AttributeValue::B(bytes) => bytes.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(texts) => texts.iter().map(String::len).sum(),
        AttributeValue::Ns(texts) => texts.iter().map(|text| number_size(text)).sum(),
        AttributeValue::Bs(values) => values.iter().map(|bytes| bytes.as_ref().len()).sum(),
        // 3 bytes per list or map, 1 more per element.
        AttributeValue::L(values) => 3 + values.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(values) => {
            3 + values
                .iter()
                .map(|(name, v)| 1 + name.len() + value_size(v))
                .sum::<usize>()
        }
        _ => 0,
    }
}

/// 1 byte per two significant digits, plus 1.
fn number_size(text: &str) -> usize {
    number::significant_digits(text)
        .unwrap_or(text.len())
        .div_ceil(2)
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::primitives::Blob;

    fn item(pairs: &[(&str, AttributeValue)]) -> HashMap<String, AttributeValue> {
        let mut item = HashMap::from([(KEY.to_owned(), AttributeValue::S("o1".into()))]);
        for (name, value) in pairs {
            item.insert((*name).to_owned(), value.clone());
        }
        item
    }

    fn n(text: &str) -> AttributeValue {
        AttributeValue::N(text.into())
    }

    #[test]
    fn numbers_anywhere_in_the_item_are_held_to_dynamodb_range() {
        assert_eq!(check(&item(&[("unitprice", n("4.5"))])), Ok(()));
        let err = check(&item(&[("unitprice", n(&crate::number::text_of(1e200)))])).unwrap_err();
        assert!(
            matches!(&err, ItemError::Number { attribute, error: NumberError::TooLarge { .. } } if attribute == "unitprice")
        );
        assert!(
            err.to_string().starts_with(
                "attribute unitprice must be at most 9.9999999999999999999999999999999999999E+125"
            ),
            "{err}"
        );
        let nested = AttributeValue::M(HashMap::from([(
            "prices".to_owned(),
            AttributeValue::L(vec![n("1"), n("1E-131")]),
        )]));
        let err = check(&item(&[("details", nested)])).unwrap_err();
        assert!(
            matches!(&err, ItemError::Number { attribute, .. } if attribute == "details.prices[1]"),
            "{err}"
        );
        let set = AttributeValue::Ns(vec!["1".into(), "1E+126".into()]);
        assert!(matches!(
            check(&item(&[("set", set)])),
            Err(ItemError::Number { .. })
        ));
    }

    #[test]
    fn the_key_must_be_present_non_empty_text_within_its_limit() {
        let mut without = item(&[]);
        without.remove(KEY);
        assert_eq!(
            check(&without),
            Err(ItemError::KeyMissing { attribute: KEY })
        );
        let with_key = |value: AttributeValue| {
            let mut it = item(&[]);
            it.insert(KEY.to_owned(), value);
            check(&it)
        };
        assert_eq!(
            with_key(AttributeValue::S(String::new())),
            Err(ItemError::KeyEmpty { attribute: KEY })
        );
        assert_eq!(
            with_key(n("1")),
            Err(ItemError::KeyNotText { attribute: KEY })
        );
        // Bytes, not characters: 512 four-byte characters are exactly the partition key limit.
        assert_eq!(with_key(AttributeValue::S("😀".repeat(512))), Ok(()));
        assert_eq!(
            with_key(AttributeValue::S("😀".repeat(512) + "x")),
            Err(ItemError::KeyTooLong {
                attribute: KEY,
                role: "partition",
                bytes: 2049,
                limit: 2048
            })
        );
        // The account is an ordinary attribute now: any text, even none, is stored.
        let mut no_account = item(&[("accountid", AttributeValue::S(String::new()))]);
        assert_eq!(check(&no_account), Ok(()));
        no_account.remove("accountid");
        assert_eq!(check(&no_account), Ok(()));
    }

    #[test]
    fn size_is_counted_as_dynamodb_counts_it() {
        let keys = KEY.len() + 2;
        let size = |pairs: &[(&str, AttributeValue)]| item_size(&item(pairs)) - keys;
        assert_eq!(size(&[("city", AttributeValue::S("Café".into()))]), 4 + 5);
        // 1 byte per two significant digits, plus 1: 00120.0300 has 5.
        assert_eq!(size(&[("n", n("00120.0300"))]), 1 + 3 + 1);
        assert_eq!(size(&[("n", n(&crate::number::text_of(1e100)))]), 1 + 1 + 1);
        assert_eq!(
            size(&[("b", AttributeValue::B(Blob::new(vec![0; 10])))]),
            1 + 10
        );
        assert_eq!(size(&[("t", AttributeValue::Bool(true))]), 1 + 1);
        assert_eq!(size(&[("l", AttributeValue::L(vec![]))]), 1 + 3);
        let list = AttributeValue::L(vec![AttributeValue::S("ab".into()), n("7")]);
        assert_eq!(size(&[("l", list)]), 1 + 3 + (1 + 2) + (1 + 2));
        let map = AttributeValue::M(HashMap::from([(
            "k".to_owned(),
            AttributeValue::S("v".into()),
        )]));
        assert_eq!(size(&[("m", map)]), 1 + 3 + (1 + 1 + 1));
        let set = AttributeValue::Ss(vec!["ab".into(), "c".into()]);
        assert_eq!(size(&[("s", set)]), 1 + 3);
    }

    #[test]
    fn an_item_over_400_kb_is_refused_and_one_at_the_limit_is_not() {
        let at_limit = |extra: usize| {
            let base = item_size(&item(&[("pad", AttributeValue::S(String::new()))]));
            item(&[(
                "pad",
                AttributeValue::S("x".repeat(MAX_ITEM_BYTES - base + extra)),
            )])
        };
        assert_eq!(item_size(&at_limit(0)), MAX_ITEM_BYTES);
        assert_eq!(check(&at_limit(0)), Ok(()));
        let err = check(&at_limit(1)).unwrap_err();
        assert_eq!(
            err,
            ItemError::TooLarge {
                bytes: MAX_ITEM_BYTES + 1
            }
        );
        assert!(err.to_string().contains("limit is 409600 bytes"), "{err}");
    }
}
