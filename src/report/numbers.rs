//! How the report writes numbers: counts with thousands separators, one decimal, dollars with
//! four significant figures, and the charts' short tick labels. Shared by the text, the charts
//! and `demo sweep`; imports nothing of the report.

/// One decimal below 1,000, whole numbers with thousands separators above.
pub(crate) fn number(value: f64) -> String {
    if value.abs() < 1000.0 {
        let text = format!("{value:.1}");
        text.strip_suffix(".0").map_or(text.clone(), str::to_owned)
    } else {
        count(value.round() as u64)
    }
}

pub(crate) fn count(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Dollars with four significant figures, however small.
pub fn usd(value: f64) -> String {
    if value == 0.0 {
        return "$0".into();
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (3 - magnitude).clamp(2, 12) as usize;
    format!("${value:.decimals$}")
}

/// Tick labels in dollars: the report's four significant figures, trailing zeros dropped.
pub(crate) fn dollars(value: f64) -> String {
    let text = usd(value);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// Short axis numbers: 5000000 → "5M", 12345 → "12.3k", 0.25 → "0.25".
pub fn compact_number(value: f64) -> String {
    let magnitude = value.abs();
    let (scaled, suffix) = match magnitude {
        m if m >= 1e12 => (value / 1e12, "T"),
        m if m >= 1e9 => (value / 1e9, "G"),
        m if m >= 1e6 => (value / 1e6, "M"),
        m if m >= 1e3 => (value / 1e3, "k"),
        _ => (value, ""),
    };
    // Three significant figures at most: enough to tell ticks apart.
    let decimals = match scaled.abs() {
        s if s >= 100.0 => 0,
        s if s >= 10.0 => 1,
        _ => 2,
    };
    let mut text = format!("{scaled:.decimals$}");
    if text.contains('.') {
        text = text.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    if text == "-0" {
        text = "0".to_string();
    }
    format!("{text}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_the_console() {
        assert_eq!(count(5_715_124), "5,715,124");
        assert_eq!(count(999), "999");
        assert_eq!(number(430.0), "430");
        assert_eq!(number(9.75), "9.8");
        assert_eq!(number(111_837.4), "111,837");
        assert_eq!(usd(0.000_216_666_75), "$0.0002167");
        assert_eq!(usd(12.5), "$12.50");
        assert_eq!(usd(0.0), "$0");
    }

    #[test]
    fn compact_numbers() {
        let cases = [
            (0.0, "0"),
            (0.25, "0.25"),
            (1.0, "1"),
            (40.0, "40"),
            (950.0, "950"),
            (12_345.0, "12.3k"),
            (250_000.0, "250k"),
            (5_000_000.0, "5M"),
            (1_250_000.0, "1.25M"),
            (-2_000.0, "-2k"),
            (3e9, "3G"),
        ];
        for (value, expected) in cases {
            assert_eq!(compact_number(value), expected, "{value}");
        }
    }
}
