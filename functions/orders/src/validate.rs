//! Parsing and validation rules for orders, with errors that name the field and the rule broken.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_path_to_error::{Path, Segment};

use crate::quote::{shorten, shorten_quoted};
use crate::{Details, Order, number};

/// Largest request body or record accepted. An order is a few hundred bytes; anything near this
/// is not an order, and refusing it early keeps a stray upload off the stream.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Quantity bounds a single order may carry (the load generator uses 1..=10, as the original).
pub const QUANTITY_RANGE: std::ops::RangeInclusive<u32> = 1..=1000;
/// Longest free-text field, in characters.
pub const MAX_TEXT_CHARS: usize = 256;
/// Longest order id, in characters; the id is a Kinesis partition key (≤ 256) and a DynamoDB
/// sort key, and is echoed in logs, so it is kept short and plain.
pub const MAX_ORDERID_CHARS: usize = 64;

/// Why an order was refused: the field (a dotted path, `body` for the whole body) and the rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct OrderError {
    pub field: String,
    pub rule: String,
    /// True when the body was refused for its size alone (HTTP 413 rather than 400).
    #[serde(skip)]
    pub too_large: bool,
}

impl OrderError {
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        OrderError {
            field: field.into(),
            rule: rule.into(),
            too_large: false,
        }
    }
}

/// Deserialises `bytes` as JSON into `T`, naming the offending field on failure.
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8], root: &str) -> Result<T, OrderError> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(OrderError {
            too_large: true,
            ..OrderError::new(
                "body",
                format!(
                    "is {} bytes; the limit is {MAX_BODY_BYTES} bytes",
                    bytes.len()
                ),
            )
        });
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|err| {
        OrderError::new(
            "body",
            format!(
                "is not valid JSON ({})",
                shorten_quoted(&strip_position(&err))
            ),
        )
    })?;
    // serde would take an array for a struct (fields by position); an order has no arrays, so
    // any array is a shape the client did not mean.
    if let Some(path) = first_array(&value, root) {
        return Err(OrderError::new(
            path,
            "must be a JSON object or value, not an array",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|err| {
        OrderError::new(
            join(root, &path_text(err.path())),
            shorten_quoted(&strip_position(err.inner())),
        )
    })
}

/// The path serde_path_to_error prints (`order.details.city`), with every key the client chose
/// shortened.
fn path_text(path: &Path) -> String {
    let mut text = String::new();
    for segment in path.iter() {
        if !text.is_empty() && !matches!(segment, Segment::Seq { .. }) {
            text.push('.');
        }
        match segment {
            Segment::Seq { index } => text.push_str(&format!("[{index}]")),
            Segment::Map { key } => text.push_str(&shorten(key)),
            Segment::Enum { variant } => text.push_str(&shorten(variant)),
            Segment::Unknown => text.push('?'),
        }
    }
    if text.is_empty() {
        ".".to_owned()
    } else {
        text
    }
}

fn first_array(value: &serde_json::Value, at: &str) -> Option<String> {
    match value {
        serde_json::Value::Array(_) => Some(if at.is_empty() {
            "body".into()
        } else {
            at.into()
        }),
        serde_json::Value::Object(fields) => fields
            .iter()
            .find_map(|(name, field)| first_array(field, &join(at, &shorten(name)))),
        _ => None,
    }
}

fn strip_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rsplit_once(" at line ") {
        Some((message, _)) => message.to_owned(),
        None => text,
    }
}

fn join(root: &str, path: &str) -> String {
    match (root.is_empty(), path == ".") {
        (_, true) if root.is_empty() => "body".to_owned(),
        (_, true) => root.to_owned(),
        (true, false) => path.to_owned(),
        (false, false) => format!("{root}.{path}"),
    }
}

impl Order {
    /// Checks the rules JSON types alone cannot express. `prefix` is where the order sits in the
    /// document (`order` in a request body, nothing in a stream record).
    pub(crate) fn validate(&self, prefix: &str) -> Result<(), OrderError> {
        let at = |field: &str| join(prefix, field);
        if let Some(id) = &self.orderid {
            check_orderid(id).map_err(|rule| OrderError::new(at("orderid"), rule))?;
        }
        for (field, value) in [
            ("accountid", &self.accountid),
            ("orderdate", &self.orderdate),
            ("vendorid", &self.vendorid),
            ("city", &self.city),
        ] {
            check_text(value).map_err(|rule| OrderError::new(at(field), rule))?;
        }
        self.details.validate(&at("details"))
    }

    /// Checks what DynamoDB would refuse although the order is well formed: numbers outside its
    /// range. The producer runs it on every request; the consumer leaves it to `item::check`.
    pub(crate) fn validate_storable(&self, prefix: &str) -> Result<(), OrderError> {
        self.details.validate_storable(&join(prefix, "details"))
    }
}

impl Details {
    fn validate(&self, prefix: &str) -> Result<(), OrderError> {
        let at = |field: &str| format!("{prefix}.{field}");
        check_text(&self.coffeetype).map_err(|rule| OrderError::new(at("coffeetype"), rule))?;
        check_text(&self.coffeesize).map_err(|rule| OrderError::new(at("coffeesize"), rule))?;
        if !(self.unitprice.is_finite() && self.unitprice > 0.0) {
            return Err(OrderError::new(
                at("unitprice"),
                format!(
                    "must be a positive, finite number (got {})",
                    brief(self.unitprice)
                ),
            ));
        }
        if !QUANTITY_RANGE.contains(&self.quantity) {
            return Err(OrderError::new(
                at("quantity"),
                format!(
                    "must be between {} and {} (got {})",
                    QUANTITY_RANGE.start(),
                    QUANTITY_RANGE.end(),
                    self.quantity
                ),
            ));
        }
        Ok(())
    }

    /// Checks that DynamoDB can store every number exactly as the item will carry it.
    fn validate_storable(&self, prefix: &str) -> Result<(), OrderError> {
        for (field, text) in self.number_texts() {
            number::check(&text).map_err(|refused| {
                OrderError::new(format!("{prefix}.{field}"), refused.to_string())
            })?;
        }
        Ok(())
    }
}

/// A float as a person reads it: `4.5`, but `1e200` rather than 201 digits.
fn brief(value: f64) -> String {
    let plain = value.to_string();
    if plain.len() <= 24 {
        plain
    } else {
        format!("{value:e}")
    }
}

fn check_text(value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err("must not be empty".to_owned());
    }
    let chars = value.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(format!(
            "must be at most {MAX_TEXT_CHARS} characters (got {chars})"
        ));
    }
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters".to_owned());
    }
    Ok(())
}

fn check_orderid(id: &str) -> Result<(), String> {
    let chars = id.chars().count();
    if !(1..=MAX_ORDERID_CHARS).contains(&chars) {
        return Err(format!(
            "must be 1 to {MAX_ORDERID_CHARS} characters (got {chars})"
        ));
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
    {
        return Err("may contain only letters, digits and - _ . :".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::Order;

    const GOOD: &str = r#"{"order": {"accountid": "a0", "orderdate": "2021-12-01 10:11:12.123456",
        "vendorid": "v7", "city": "Gold Coast",
        "details": {"coffeetype": "Flat White", "coffeesize": "x-Large", "unitprice": 5.0, "quantity": 10}}}"#;

    /// Replaces `from` in the good body with `to`, asserting the substitution happened.
    fn good_with(from: &str, to: &str) -> String {
        assert!(GOOD.contains(from), "fixture lacks {from}");
        GOOD.replacen(from, to, 1)
    }

    #[test]
    fn good_order_parses() {
        let order = Order::from_request_body(GOOD.as_bytes()).unwrap();
        assert_eq!(order.city, "Gold Coast");
        assert_eq!(order.details.quantity, 10);
        assert_eq!(order.orderid, None);
    }

    /// Each bad body, the field the error must name and a fragment of the rule it must state.
    fn bad_orders() -> Vec<(String, &'static str, &'static str)> {
        let big = format!(r#"{{"pad": "{}"}}"#, "x".repeat(super::MAX_BODY_BYTES));
        vec![
            ("not json".into(), "body", "not valid JSON"),
            ("".into(), "body", "not valid JSON"),
            ("{\"order\": ".into(), "body", "not valid JSON"),
            ("[]".into(), "body", "not an array"),
            (
                good_with(r#""city": "Gold Coast""#, r#""city": ["Gold Coast"]"#),
                "order.city",
                "not an array",
            ),
            ("{}".into(), "body", "missing field `order`"),
            (r#"{"order": null}"#.into(), "order", "invalid type: null"),
            (
                good_with(r#""city": "Gold Coast","#, ""),
                "order",
                "missing field `city`",
            ),
            (
                good_with(r#""quantity": 10"#, r#""quantity": "10""#),
                "order.details.quantity",
                "invalid type",
            ),
            (
                good_with(r#""quantity": 10"#, r#""quantity": 0"#),
                "order.details.quantity",
                "between 1 and 1000",
            ),
            (
                good_with(r#""quantity": 10"#, r#""quantity": 1001"#),
                "order.details.quantity",
                "between 1 and 1000",
            ),
            (
                good_with(r#""quantity": 10"#, r#""quantity": -1"#),
                "order.details.quantity",
                "invalid value",
            ),
            (
                good_with(r#""quantity": 10"#, r#""quantity": 2.5"#),
                "order.details.quantity",
                "invalid type",
            ),
            (
                good_with(r#""unitprice": 5.0"#, r#""unitprice": 0"#),
                "order.details.unitprice",
                "positive",
            ),
            (
                good_with(r#""unitprice": 5.0"#, r#""unitprice": -4.5"#),
                "order.details.unitprice",
                "positive",
            ),
            (
                good_with(r#""unitprice": 5.0"#, r#""unitprice": 1e999"#),
                "body",
                "not valid JSON",
            ),
            (
                good_with(r#""unitprice": 5.0"#, r#""unitprice": "5.0""#),
                "order.details.unitprice",
                "invalid type",
            ),
            (
                good_with(r#""city": "Gold Coast""#, r#""city": """#),
                "order.city",
                "must not be empty",
            ),
            (
                good_with(r#""accountid": "a0""#, r#""accountid": "   ""#),
                "order.accountid",
                "must not be empty",
            ),
            (
                good_with(r#""vendorid": "v7""#, r#""vendorid": 7"#),
                "order.vendorid",
                "invalid type",
            ),
            (
                good_with(r#""coffeetype": "Flat White""#, r#""coffeetype": """#),
                "order.details.coffeetype",
                "must not be empty",
            ),
            (
                good_with(
                    r#""city": "Gold Coast""#,
                    r#""city": {"name": "Gold Coast"}"#,
                ),
                "order.city",
                "invalid type: map",
            ),
            (
                good_with(r#""quantity": 10"#, r#""quantity": 10, "extra": {"a": 1}"#),
                "order.details.extra",
                "unknown field `extra`",
            ),
            (
                good_with(r#""accountid""#, r#""order": {}, "accountid""#),
                "order.order",
                "unknown field `order`",
            ),
            (
                format!(r#"{{"order": {{"order": {}}}}}"#, "{}"),
                "order.order",
                "unknown field `order`",
            ),
            (
                good_with(
                    r#""accountid": "a0","#,
                    r#""accountid": "a0", "orderid": "has space","#,
                ),
                "order.orderid",
                "only letters",
            ),
            (
                good_with(
                    r#""accountid": "a0","#,
                    r#""accountid": "a0", "orderid": "","#,
                ),
                "order.orderid",
                "1 to 64",
            ),
            (
                good_with(
                    r#""city": "Gold Coast""#,
                    &format!(r#""city": "{}""#, "x".repeat(300)),
                ),
                "order.city",
                "at most 256",
            ),
            (
                good_with(r#""city": "Gold Coast""#, r#""city": "Gold\nCoast""#),
                "order.city",
                "control characters",
            ),
            (big, "body", "the limit is 65536 bytes"),
            (
                good_with(r#""unitprice": 5.0"#, r#""unitprice": 1e200"#),
                "order.details.unitprice",
                "must be at most 9.9999999999999999999999999999999999999E+125 in magnitude",
            ),
            (
                good_with(r#""unitprice": 5.0"#, r#""unitprice": 1e126"#),
                "order.details.unitprice",
                "(got 1E+126)",
            ),
            (
                good_with(r#""unitprice": 5.0"#, r#""unitprice": 5e-324"#),
                "order.details.unitprice",
                "at least 1E-130 in magnitude",
            ),
            (
                good_with(r#""unitprice": 5.0"#, r#""unitprice": 1e-131"#),
                "order.details.unitprice",
                "(got 1E-131)",
            ),
            (
                good_with(r#""unitprice": 5.0"#, r#""unitprice": -1e300"#),
                "order.details.unitprice",
                "positive, finite number (got -1e300)",
            ),
        ]
    }

    #[test]
    fn prices_at_dynamodb_limits_are_accepted() {
        for price in ["1e125", "9.999999999999998e125", "1e-130", "0.01"] {
            let body = good_with(r#""unitprice": 5.0"#, &format!(r#""unitprice": {price}"#));
            let order = Order::from_request_body(body.as_bytes()).expect(price);
            assert_eq!(order.details.unitprice, price.parse::<f64>().unwrap());
        }
    }

    #[test]
    fn a_stream_record_is_judged_as_an_order_not_on_what_the_table_stores() {
        let order = Order::from_request_body(GOOD.as_bytes()).unwrap();
        let mut record: serde_json::Value = serde_json::from_slice(&order.to_record()).unwrap();
        record["orderid"] = "o-1".into();
        record["details"]["unitprice"] = 1e200.into();
        let parsed = Order::from_record(record.to_string().as_bytes()).unwrap();
        assert_eq!(parsed.details.unitprice, 1e200);
    }

    #[test]
    fn client_text_is_quoted_as_a_short_prefix_marked_as_cut() {
        let key = "k".repeat(60_000);
        let cut = format!("{}… (60000 characters)", "k".repeat(100));
        let body = good_with(
            r#""quantity": 10"#,
            &format!(r#""quantity": 10, "{key}": 1"#),
        );
        let err = Order::from_request_body(body.as_bytes()).unwrap_err();
        assert_eq!(err.field, format!("order.details.{cut}"));
        assert!(
            err.rule
                .starts_with(&format!("unknown field `{cut}`, expected")),
            "{err}"
        );
        assert!(err.rule.len() < 300, "{}", err.rule);

        let value = "v".repeat(60_000);
        let body = good_with(r#""quantity": 10"#, &format!(r#""quantity": "{value}""#));
        let err = Order::from_request_body(body.as_bytes()).unwrap_err();
        assert_eq!(err.field, "order.details.quantity");
        assert!(err.rule.contains("v… (60000 characters)"), "{}", err.rule);
        assert!(err.rule.len() < 300, "{}", err.rule);

        let body = good_with(r#""city": "Gold Coast""#, &format!(r#""{key}": [1]"#));
        let err = Order::from_request_body(body.as_bytes()).unwrap_err();
        assert_eq!(err.field, format!("order.{cut}"));
    }

    #[test]
    fn every_bad_order_names_its_field_and_rule() {
        let cases = bad_orders();
        assert!(cases.len() >= 20);
        for (body, field, rule) in cases {
            let err = Order::from_request_body(body.as_bytes())
                .expect_err(&format!("accepted a bad order: {body:.120}"));
            assert_eq!(err.field, field, "field for {body:.120} ({err})");
            assert!(err.rule.contains(rule), "rule for {body:.120}: {err}");
            assert!(!err.rule.contains(" at line "), "position leaked: {err}");
        }
    }

    #[test]
    fn size_limit_is_flagged_as_too_large() {
        let body = vec![b' '; super::MAX_BODY_BYTES + 1];
        assert!(Order::from_request_body(&body).unwrap_err().too_large);
        assert!(!Order::from_request_body(b"{}").unwrap_err().too_large);
    }
}
