//! Properties tying the producer's validation to DynamoDB's item rules: whatever the API accepts,
//! the table can store; numbers outside DynamoDB's range never get through.

use orders::item::{ItemError, RecordMeta, check, to_item};
use orders::number::{self, NumberError};
use orders::{Details, Order};
use proptest::prelude::*;

/// Text fields: plain, any printable Unicode up to and past the 256-character limit, anything at
/// all (controls, empty), and the most bytes a field may carry (256 four-byte characters).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z][A-Za-z0-9 ]{0,30}",
        2 => "\\PC{1,256}",
        1 => "\\PC{250,300}",
        1 => any::<String>(),
        1 => Just("😀".repeat(256)),
    ]
}

fn orderid() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        "[A-Za-z0-9._:-]{1,64}".prop_map(Some),
        "[A-Za-z0-9._:-]{60,70}".prop_map(Some),
        any::<String>().prop_map(Some),
    ]
}

/// Every class of f64 (NaN, infinities, subnormals, zeros), powers of ten across DynamoDB's range
/// and beyond, the doubles next to its limits, and ordinary prices.
fn price() -> impl Strategy<Value = f64> {
    let near = |limit: f64| {
        (-1000i64..1000)
            .prop_map(move |step| f64::from_bits((limit.to_bits() as i64 + step) as u64))
    };
    prop_oneof![
        any::<f64>(),
        (-330i32..=310).prop_map(|exponent| 10f64.powi(exponent)),
        (1u64..(1 << 52)).prop_map(f64::from_bits),
        near(1e126),
        near(1e-130),
        0.01f64..1000.0,
    ]
}

fn order_with(
    price: impl Strategy<Value = f64>,
    text: fn() -> BoxedStrategy<String>,
) -> impl Strategy<Value = Order> {
    let texts = (text(), text(), text(), text(), text(), text());
    let quantity = prop_oneof![1u32..=10, any::<u32>()];
    (orderid(), texts, price, quantity).prop_map(|(orderid, texts, unitprice, quantity)| {
        let (accountid, orderdate, vendorid, city, coffeetype, coffeesize) = texts;
        Order {
            orderid,
            accountid,
            orderdate,
            vendorid,
            city,
            details: Details {
                coffeetype,
                coffeesize,
                unitprice,
                quantity,
            },
        }
    })
}

fn meta() -> impl Strategy<Value = RecordMeta> {
    ("[0-9]{1,128}", any::<i64>(), any::<i64>()).prop_map(
        |(sequence_number, arrived_at_ms, written_at_ms)| RecordMeta {
            sequence_number,
            arrived_at_ms,
            written_at_ms,
        },
    )
}

/// Positive doubles whose text DynamoDB refuses: from the double nearest 1E+126 up to the
/// largest, and from the smallest subnormal up to just below the double nearest 1E-130.
fn out_of_range() -> impl Strategy<Value = f64> {
    prop_oneof![
        (1e126f64.to_bits()..f64::INFINITY.to_bits()).prop_map(f64::from_bits),
        (1u64..1e-130f64.to_bits()).prop_map(f64::from_bits),
    ]
}

/// Positive doubles whose text DynamoDB stores.
fn in_range() -> impl Strategy<Value = f64> {
    (1e-130f64.to_bits()..1e126f64.to_bits()).prop_map(f64::from_bits)
}

fn any_text() -> BoxedStrategy<String> {
    text().boxed()
}

fn plain_text() -> BoxedStrategy<String> {
    "[A-Za-z][A-Za-z0-9 ]{0,30}".boxed()
}

fn accepted(order: &Order) -> Result<Order, orders::OrderError> {
    let mut accepted = Order::from_request_body(&order.to_request_body())?;
    accepted.ensure_id();
    Ok(accepted)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_order_the_api_accepts_is_an_item_dynamodb_stores(
        order in order_with(price(), any_text),
        meta in meta(),
    ) {
        if let Ok(order) = accepted(&order) {
            prop_assert_eq!(check(&to_item(&order, &meta)), Ok(()));
        }
    }

    #[test]
    fn well_formed_orders_with_prices_in_range_are_accepted(
        order in order_with(in_range(), plain_text),
        meta in meta(),
    ) {
        let mut order = order;
        order.orderid = None;
        order.details.quantity = order.details.quantity % 1000 + 1;
        let order = accepted(&order).map_err(|err| TestCaseError::fail(err.to_string()))?;
        prop_assert_eq!(check(&to_item(&order, &meta)), Ok(()));
    }

    #[test]
    fn numbers_outside_dynamodb_range_are_refused_by_the_api_and_the_item_check(
        order in order_with(out_of_range(), plain_text),
        negative in any::<bool>(),
        meta in meta(),
    ) {
        let magnitude = order.details.unitprice;
        let text = number::text_of(if negative { -magnitude } else { magnitude });
        prop_assert!(
            matches!(number::check(&text), Err(NumberError::TooLarge { .. } | NumberError::TooSmall { .. })),
            "{} passed", text
        );

        let mut order = order;
        order.orderid = None;
        order.details.quantity = 1;
        let refused = accepted(&order).expect_err("an out-of-range price was accepted");
        prop_assert_eq!(&refused.field, "order.details.unitprice");
        prop_assert!(
            refused.rule.contains(number::MAX_MAGNITUDE) || refused.rule.contains(number::MIN_MAGNITUDE),
            "{}", refused
        );
        prop_assert!(refused.rule.len() < 200, "{}", refused);

        order.ensure_id();
        let refused = check(&to_item(&order, &meta));
        prop_assert!(
            matches!(&refused, Err(ItemError::Number { attribute, .. }) if attribute == "unitprice"),
            "{:?}", refused
        );
    }
}
