//! DynamoDB's number rule, checked on the very text an item carries, without the SDK.
//!
//! DynamoDB stores a number of up to 38 significant digits (leading and trailing zeros are not
//! significant) whose magnitude is 0 or lies in 1E-130 ..= 9.9999999999999999999999999999999999999E+125.
//! Anything else makes it refuse the whole write (`ValidationException: Number overflow` /
//! `underflow`), so the producer checks every number before an order reaches the stream.

/// Most significant digits DynamoDB keeps in a number.
pub const MAX_SIGNIFICANT_DIGITS: usize = 38;
/// Largest magnitude DynamoDB stores, as its documentation writes it.
pub const MAX_MAGNITUDE: &str = "9.9999999999999999999999999999999999999E+125";
/// Smallest non-zero magnitude DynamoDB stores.
pub const MIN_MAGNITUDE: &str = "1E-130";

/// The decimal exponent (scientific notation, `d.ddd × 10^e`) of the largest and smallest
/// magnitudes above: with at most 38 digits, `e ≤ 125` is exactly "at most `MAX_MAGNITUDE`".
const MAX_EXPONENT: i64 = 125;
const MIN_EXPONENT: i64 = -130;

/// Far beyond either limit, so absurd exponents (`1e99999999999999999999`) cannot overflow.
const EXPONENT_CLAMP: i64 = 1_000_000_000;

/// The text an `f64` is stored as: Rust's shortest round-trip form, without an exponent
/// (`1e200` becomes a `1` and 200 zeros, which is still one significant digit).
/// Both the order validation and the DynamoDB item use this one function, so what is checked
/// is exactly what is written.
pub fn text_of(value: f64) -> String {
    value.to_string()
}

/// Why DynamoDB would refuse a number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error(
        "is not a number DynamoDB reads ({text}); write digits with an optional sign, point and exponent, e.g. 4.5 or 1E-3"
    )]
    Malformed { text: String },
    #[error(
        "has {digits} significant digits; DynamoDB keeps at most {MAX_SIGNIFICANT_DIGITS}, so round it"
    )]
    TooPrecise { digits: usize },
    #[error(
        "must be at most {MAX_MAGNITUDE} in magnitude, the largest number DynamoDB stores (got {shown})"
    )]
    TooLarge { shown: String },
    #[error(
        "must be 0 or at least {MIN_MAGNITUDE} in magnitude, the smallest number DynamoDB stores (got {shown})"
    )]
    TooSmall { shown: String },
}

/// Checks `text` against DynamoDB's number rule.
pub fn check(text: &str) -> Result<(), NumberError> {
    let decimal = Decimal::parse(text)?;
    let Some(exponent) = decimal.exponent else {
        return Ok(()); // zero, however written
    };
    if decimal.digits.len() > MAX_SIGNIFICANT_DIGITS {
        return Err(NumberError::TooPrecise {
            digits: decimal.digits.len(),
        });
    }
    if exponent > MAX_EXPONENT {
        return Err(NumberError::TooLarge {
            shown: decimal.scientific(),
        });
    }
    if exponent < MIN_EXPONENT {
        return Err(NumberError::TooSmall {
            shown: decimal.scientific(),
        });
    }
    Ok(())
}

/// How many significant digits DynamoDB counts in `text` (0 for zero), or `None` if it is not
/// a number. DynamoDB sizes a number by these digits, not by its text.
pub fn significant_digits(text: &str) -> Option<usize> {
    Decimal::parse(text)
        .ok()
        .map(|decimal| decimal.digits.len())
}

/// A number's text reduced to what DynamoDB keeps: sign, significant digits and exponent.
#[derive(Debug, PartialEq)]
struct Decimal {
    negative: bool,
    /// Significant digits, without leading or trailing zeros; empty for zero.
    digits: String,
    /// The exponent in scientific notation (`d.ddd × 10^exponent`); `None` for zero.
    exponent: Option<i64>,
}

impl Decimal {
    /// Parses `[+-]digits[.digits][(e|E)[+-]digits]` (a point needs a digit on one side).
    fn parse(text: &str) -> Result<Decimal, NumberError> {
        let malformed = || NumberError::Malformed {
            text: crate::shorten(text).into_owned(),
        };
        let (negative, unsigned) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
            Some(at) => (
                &unsigned[..at],
                parse_exponent(&unsigned[at + 1..]).ok_or_else(malformed)?,
            ),
            None => (unsigned, 0),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.len() + fraction.len() == 0 || !all_digits(whole) || !all_digits(fraction) {
            return Err(malformed());
        }
        let digits = format!("{whole}{fraction}");
        let Some(first) = digits.find(|c| c != '0') else {
            return Ok(Decimal {
                negative,
                digits: String::new(),
                exponent: None,
            });
        };
        let last = digits.rfind(|c| c != '0').expect("a non-zero digit exists");
        // The first significant digit sits `whole.len() - first - 1` places left of the point.
        let places = whole.len() as i64 - first as i64 - 1;
        Ok(Decimal {
            negative,
            digits: digits[first..=last].to_owned(),
            exponent: Some(places.saturating_add(exponent)),
        })
    }

    /// Short scientific form for messages: at most 12 digits shown, e.g. `-1.5E+200`.
    fn scientific(&self) -> String {
        const SHOWN: usize = 12;
        let sign = if self.negative { "-" } else { "" };
        let (head, tail) = self.digits.split_at(1.min(self.digits.len()));
        let mut mantissa = head.to_owned();
        if !tail.is_empty() {
            mantissa.push('.');
            mantissa.extend(tail.chars().take(SHOWN - 1));
            if tail.len() > SHOWN - 1 {
                mantissa.push('…');
            }
        }
        let exponent = self.exponent.unwrap_or(0);
        format!("{sign}{mantissa}E{exponent:+}")
    }
}

/// `[+-]digits`, clamped far beyond the limits so that no text can overflow the arithmetic.
fn parse_exponent(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits.bytes().fold(0i64, |value, digit| {
        (value * 10 + i64::from(digit - b'0')).min(EXPONENT_CLAMP)
    });
    Some(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_edges_are_exactly_the_limits() {
        for ok in [
            MAX_MAGNITUDE,
            "-9.9999999999999999999999999999999999999E+125",
            MIN_MAGNITUDE,
            "-1E-130",
            "0",
            "-0",
            "0.000",
            "0e999999",
            "4.5",
            "12345678901234567890123456789012345678",
            "1234567890123456789012345678901234567800000", // trailing zeros are not significant
            "0.00012345678901234567890123456789012345678", // leading zeros are not significant
            "1E+125",
            "99999999999999999999999999999999999999E88",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        let refused = |text: &str| check(text).expect_err(text);
        assert!(matches!(refused("1E+126"), NumberError::TooLarge { .. }));
        assert!(matches!(refused("-1E+126"), NumberError::TooLarge { .. }));
        assert!(matches!(refused("10E+125"), NumberError::TooLarge { .. }));
        assert!(matches!(refused("1E-131"), NumberError::TooSmall { .. }));
        assert!(matches!(refused("0.9E-130"), NumberError::TooSmall { .. }));
        assert_eq!(
            refused("123456789012345678901234567890123456789"),
            NumberError::TooPrecise { digits: 39 }
        );
        assert_eq!(
            refused("1.00000000000000000000000000000000000001"),
            NumberError::TooPrecise { digits: 39 }
        );
    }

    #[test]
    fn rust_display_of_extreme_floats_is_judged_by_value_not_length() {
        assert_eq!(text_of(1e200).len(), 201, "Display writes no exponent");
        assert!(matches!(
            check(&text_of(1e200)),
            Err(NumberError::TooLarge { .. })
        ));
        assert!(matches!(
            check(&text_of(1e126)),
            Err(NumberError::TooLarge { .. })
        ));
        assert!(matches!(
            check(&text_of(5e-324)),
            Err(NumberError::TooSmall { .. })
        ));
        assert!(matches!(
            check(&text_of(1e-131)),
            Err(NumberError::TooSmall { .. })
        ));
        for ok in [1e125, 9.999999999999998e125, 1e-130, 3.5, f64::EPSILON, 0.0] {
            assert_eq!(check(&text_of(ok)), Ok(()), "{ok:e}");
        }
    }

    #[test]
    fn messages_name_the_limit_and_show_the_value_briefly() {
        let large = check(&text_of(1e200)).unwrap_err().to_string();
        assert_eq!(
            large,
            "must be at most 9.9999999999999999999999999999999999999E+125 in magnitude, \
             the largest number DynamoDB stores (got 1E+200)"
        );
        let small = check(&text_of(-5e-324)).unwrap_err().to_string();
        assert!(small.contains("at least 1E-130"), "{small}");
        assert!(small.ends_with("(got -5E-324)"), "{small}");
        let long = check("1.234567890123456789e300").unwrap_err().to_string();
        assert!(long.ends_with("(got 1.23456789012…E+300)"), "{long}");
    }

    #[test]
    fn malformed_text_is_refused_and_quoted_briefly() {
        for bad in [
            "", "-", "+", ".", "e5", "1e", "1e+", "1.2.3", "1,5", " 1", "1 ", "NaN", "inf", "0x10",
            "1e5.5", "--1",
        ] {
            assert!(
                matches!(check(bad), Err(NumberError::Malformed { .. })),
                "{bad:?}"
            );
        }
        for ok in ["+1", ".5", "5.", "1e+5", "1E-5", "-0.0e-0"] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        let long = check(&"x".repeat(500)).unwrap_err().to_string();
        assert!(long.len() < 300, "{long}");
    }

    #[test]
    fn absurd_exponents_do_not_overflow() {
        assert!(matches!(
            check("1e99999999999999999999999999"),
            Err(NumberError::TooLarge { .. })
        ));
        assert!(matches!(
            check("1e-99999999999999999999999999"),
            Err(NumberError::TooSmall { .. })
        ));
        assert_eq!(check("0e99999999999999999999999999"), Ok(()));
    }

    #[test]
    fn significant_digits_ignore_leading_and_trailing_zeros() {
        assert_eq!(significant_digits("00120.0300"), Some(5));
        assert_eq!(significant_digits(&text_of(1e200)), Some(1));
        assert_eq!(significant_digits("0.0"), Some(0));
        assert_eq!(significant_digits("abc"), None);
    }
}
