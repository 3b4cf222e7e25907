//! The original notebook's order distribution: cities, coffee types, sizes and their prices.

use crate::{Details, Order};

pub const CITIES: [&str; 11] = [
    "Adelaide",
    "Brisbane",
    "Canberra",
    "Darwin",
    "Geelong",
    "Gold Coast",
    "Hobart",
    "Melbourne",
    "Perth",
    "Sydney",
    "Wollongong",
];

pub const COFFEE_TYPES: [&str; 4] = ["Short Black", "Flat White", "Latte", "Long Black"];

/// Each size with its unit price, as the notebook priced them.
pub const SIZES: [(&str, f64); 4] = [
    ("Small", 3.5),
    ("Medium", 4.0),
    ("Large", 4.5),
    ("x-Large", 5.0),
];

/// The generator's quantity range (uniform), as in the notebook.
pub const QUANTITY: std::ops::RangeInclusive<u32> = 1..=10;

/// The account every generated order belongs to, as in the notebook.
pub const ACCOUNT: &str = "a0";

/// Draws one order from the original distribution: city, type and size uniform, quantity uniform
/// in 1..=10, account `a0`, vendor `v<vendor>`. The caller supplies the timestamp and the id.
pub fn random_order(
    rng: &mut fastrand::Rng,
    vendor: u64,
    orderdate: String,
    orderid: String,
) -> Order {
    let (coffeesize, unitprice) = SIZES[rng.usize(..SIZES.len())];
    Order {
        orderid: Some(orderid),
        accountid: ACCOUNT.to_owned(),
        orderdate,
        vendorid: format!("v{vendor}"),
        city: CITIES[rng.usize(..CITIES.len())].to_owned(),
        details: Details {
            coffeetype: COFFEE_TYPES[rng.usize(..COFFEE_TYPES.len())].to_owned(),
            coffeesize: coffeesize.to_owned(),
            unitprice,
            quantity: rng.u32(QUANTITY),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_orders_are_valid_and_cover_the_catalog() {
        let mut rng = fastrand::Rng::with_seed(7);
        let orders: Vec<Order> = (0..2000)
            .map(|i| random_order(&mut rng, i, "2021-12-01 10:00:00".into(), format!("o-{i}")))
            .collect();
        for order in &orders {
            let parsed = Order::from_request_body(&order.to_request_body()).unwrap();
            assert_eq!(&parsed, order);
            let price = SIZES
                .iter()
                .find(|(s, _)| *s == order.details.coffeesize)
                .unwrap()
                .1;
            assert_eq!(order.details.unitprice, price);
        }
        for city in CITIES {
            assert!(orders.iter().any(|o| o.city == city), "{city} never drawn");
        }
        for quantity in QUANTITY {
            assert!(orders.iter().any(|o| o.details.quantity == quantity));
        }
    }

    #[test]
    fn a_seed_reproduces_the_same_orders() {
        let draw = |seed| {
            let mut rng = fastrand::Rng::with_seed(seed);
            (0..50)
                .map(|i| random_order(&mut rng, i, "t".into(), format!("{i}")))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(42), draw(42));
        assert_ne!(draw(42), draw(43));
    }
}
