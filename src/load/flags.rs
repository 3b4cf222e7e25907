//! Checks on `demo load` / `demo verify` flag values: one sentence naming flag, value and rule.

use std::time::Duration;

use reqwest::Url;

/// A flag value refused: the flag, the value, and the rule it breaks.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum FlagError {
    #[error("invalid --orders 0: send at least 1 order (or use --duration)")]
    NoOrders,

    #[error("invalid --concurrency 0: at least 1 request must be in flight")]
    NoConcurrency,

    #[error("invalid --rate {0}: the rate is requests per second and must be above 0")]
    Rate(f64),

    #[error("invalid --max-attempts 0: each order needs at least 1 attempt")]
    NoAttempts,

    #[error("invalid --url {value:?}: {reason} (expected an absolute http:// or https:// URL)")]
    NotUrl { value: String, reason: String },

    #[error(
        "invalid --url {value:?}: the scheme is {scheme:?}, but orders can only be posted over http:// or https://"
    )]
    Scheme { value: String, scheme: String },

    #[error("invalid --url {value:?}: the URL has no host")]
    NoHost { value: String },

    #[error("invalid {flag} {value:?}: {rule}")]
    Duration {
        flag: String,
        value: String,
        rule: &'static str,
    },
}

/// `--orders`: at least one.
pub(crate) fn orders(value: u64) -> Result<u64, FlagError> {
    if value == 0 {
        return Err(FlagError::NoOrders);
    }
    Ok(value)
}

/// `--concurrency`: at least one request in flight.
pub(crate) fn concurrency(value: usize) -> Result<usize, FlagError> {
    if value == 0 {
        return Err(FlagError::NoConcurrency);
    }
    Ok(value)
}

/// `--rate`: a finite number of requests per second above zero.
pub(crate) fn rate(value: f64) -> Result<f64, FlagError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(FlagError::Rate(value))
    }
}

/// `--max-attempts`: at least one.
pub(crate) fn max_attempts(value: u32) -> Result<u32, FlagError> {
    if value == 0 {
        return Err(FlagError::NoAttempts);
    }
    Ok(value)
}

/// `--url`: an absolute http:// or https:// URL with a host.
pub(crate) fn url(value: &str) -> Result<Url, FlagError> {
    let parsed = Url::parse(value).map_err(|error| FlagError::NotUrl {
        value: value.to_owned(),
        reason: error.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(FlagError::Scheme {
            value: value.to_owned(),
            scheme: parsed.scheme().to_owned(),
        });
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(FlagError::NoHost {
            value: value.to_owned(),
        });
    }
    Ok(parsed)
}

/// A duration such as `90s`, `500ms`, `2m`, `1h` or `1m30s`; a bare number means seconds.
pub(crate) fn duration(flag: &str, value: &str) -> Result<Duration, FlagError> {
    let invalid = |rule: &'static str| FlagError::Duration {
        flag: flag.to_owned(),
        value: value.to_owned(),
        rule,
    };
    let text = value.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return positive(Duration::try_from_secs_f64(seconds).ok())
            .ok_or_else(|| invalid("the duration must be above 0"));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let unit_len = rest[digits..]
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len() - digits);
        let (number, unit) = (&rest[..digits], &rest[digits..digits + unit_len]);
        let number: f64 = number
            .parse()
            .map_err(|_| invalid("expected a number with a unit, such as 30s, 500ms, 5m or 1h"))?;
        let scale = match unit {
            "ms" => 0.001,
            "s" | "sec" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            _ => {
                return Err(invalid(
                    "the unit must be one of ms, s, m or h (for example 30s or 5m)",
                ));
            }
        };
        total += Duration::try_from_secs_f64(number * scale)
            .map_err(|_| invalid("the duration is out of range"))?;
        rest = &rest[digits + unit_len..];
    }
    positive(Some(total)).ok_or_else(|| invalid("the duration must be above 0"))
}

fn positive(duration: Option<Duration>) -> Option<Duration> {
    duration.filter(|d| !d.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        let d = |text| duration("--duration", text);
        assert_eq!(d("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(d("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(d("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(d("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(d("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(d("1.5"), Ok(Duration::from_millis(1500)));
        for bad in ["", "0", "0s", "-1", "5x", "s", "abc"] {
            let error = d(bad).unwrap_err().to_string();
            assert!(error.starts_with("invalid --duration"), "{bad}: {error}");
        }
    }

    #[test]
    fn bad_values_name_the_flag_and_the_rule() {
        assert!(orders(0).unwrap_err().to_string().contains("--orders 0"));
        assert!(
            concurrency(0)
                .unwrap_err()
                .to_string()
                .contains("--concurrency 0")
        );
        assert!(rate(0.0).unwrap_err().to_string().contains("--rate 0"));
        assert!(rate(-3.0).unwrap_err().to_string().contains("above 0"));
        assert!(rate(f64::NAN).is_err());
        assert!(rate(f64::INFINITY).is_err());
        assert_eq!(rate(0.5), Ok(0.5));
        assert!(
            url("ftp://x/y")
                .unwrap_err()
                .to_string()
                .contains("http://")
        );
        assert!(url("not a url").unwrap_err().to_string().contains("--url"));
        assert!(url("http://127.0.0.1:3000/prod/order").is_ok());
    }
}
