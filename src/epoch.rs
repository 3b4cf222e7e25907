//! Time as AWS's APIs and the stack's items stamp it: whole seconds or milliseconds since the
//! Unix epoch (0 for a time before it).

use std::time::SystemTime;

/// Whole seconds since the epoch (CloudWatch's times, a datapoint's minute).
pub(crate) fn seconds(time: SystemTime) -> i64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Milliseconds since the epoch (the items' `arrivedat` and `writtenat`, Kinesis arrival times,
/// CloudFormation event times).
pub(crate) fn millis(time: SystemTime) -> i64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn seconds_and_millis_since_the_epoch() {
        let time = SystemTime::UNIX_EPOCH + Duration::from_millis(1_740_823_203_120);
        assert_eq!(seconds(time), 1_740_823_203);
        assert_eq!(millis(time), 1_740_823_203_120);
        let before = SystemTime::UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!((seconds(before), millis(before)), (0, 0));
    }
}
