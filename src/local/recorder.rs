//! What the local runner measured, kept as CloudWatch keeps it (per metric, dimension and
//! minute: count, sum, minimum, maximum) and sent to the emulator's CloudWatch at the end, so
//! `demo report --local` reads it exactly as it reads Lambda's own metrics on AWS (and the
//! memory and init figures as it reads Lambda Insights'; offline they are of a process on this
//! machine, which the report says).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit, StatisticSet};

use crate::aws::AwsError;
use crate::epoch;

/// The metrics Lambda (and Lambda Insights) publish that the runner can measure honestly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum LocalMetric {
    Invocations,
    Duration,
    Errors,
    IteratorAge,
    PolledEventCount,
    /// Lambda Insights' peak memory (MB); here the process's VmHWM.
    UsedMemoryMax,
    /// Lambda Insights' init phase (ms), one per cold start.
    InitDuration,
}

impl LocalMetric {
    fn name(self) -> &'static str {
        match self {
            LocalMetric::Invocations => "Invocations",
            LocalMetric::Duration => "Duration",
            LocalMetric::Errors => "Errors",
            LocalMetric::IteratorAge => "IteratorAge",
            LocalMetric::PolledEventCount => "PolledEventCount",
            LocalMetric::UsedMemoryMax => "used_memory_max",
            LocalMetric::InitDuration => "init_duration",
        }
    }

    fn namespace(self) -> &'static str {
        match self {
            LocalMetric::UsedMemoryMax | LocalMetric::InitDuration => "LambdaInsights",
            _ => "AWS/Lambda",
        }
    }

    /// Function metrics are keyed by FunctionName (Insights': function_name); the mapping's
    /// by its UUID.
    fn dimension(self) -> &'static str {
        match self {
            LocalMetric::PolledEventCount => "EventSourceMappingUUID",
            LocalMetric::UsedMemoryMax | LocalMetric::InitDuration => "function_name",
            _ => "FunctionName",
        }
    }

    fn unit(self) -> StandardUnit {
        match self {
            LocalMetric::Duration | LocalMetric::IteratorAge | LocalMetric::InitDuration => {
                StandardUnit::Milliseconds
            }
            LocalMetric::UsedMemoryMax => StandardUnit::Megabytes,
            _ => StandardUnit::Count,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Stats {
    count: f64,
    sum: f64,
    min: f64,
    max: f64,
}

type Key = (LocalMetric, String, i64);

/// Shared by the API and the pollers; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    stats: Arc<Mutex<BTreeMap<Key, Stats>>>,
}

impl Recorder {
    /// One observation of `metric` for `target` (a function name or a mapping UUID), now.
    pub(crate) fn record(&self, metric: LocalMetric, target: &str, value: f64) {
        let minute = epoch::seconds(SystemTime::now()) / 60 * 60;
        let mut stats = self.stats.lock().unwrap_or_else(|p| p.into_inner());
        stats
            .entry((metric, target.to_owned(), minute))
            .and_modify(|s| {
                s.count += 1.0;
                s.sum += value;
                s.min = s.min.min(value);
                s.max = s.max.max(value);
            })
            .or_insert(Stats {
                count: 1.0,
                sum: value,
                min: value,
                max: value,
            });
    }

    #[cfg(test)]
    /// The sum of every observation of `metric` for `target`.
    pub(crate) fn total(&self, metric: LocalMetric, target: &str) -> f64 {
        let stats = self.stats.lock().expect("recorder lock");
        stats
            .iter()
            .filter(|((m, t, _), _)| *m == metric && t == target)
            .map(|(_, s)| s.sum)
            .sum()
    }

    #[cfg(test)]
    /// How many observations of `metric` for `target`.
    pub(crate) fn count(&self, metric: LocalMetric, target: &str) -> f64 {
        let stats = self.stats.lock().expect("recorder lock");
        stats
            .iter()
            .filter(|((m, t, _), _)| *m == metric && t == target)
            .map(|(_, s)| s.count)
            .sum()
    }

    /// Sends everything recorded to CloudWatch (in Lambda's and Lambda Insights' namespaces,
    /// as they would) and forgets it; returns the number of datapoints sent.
    pub(crate) async fn publish(
        &self,
        cloudwatch: &aws_sdk_cloudwatch::Client,
    ) -> Result<usize, AwsError> {
        let taken = std::mem::take(&mut *self.stats.lock().unwrap_or_else(|p| p.into_inner()));
        let mut by_namespace: BTreeMap<&str, Vec<MetricDatum>> = BTreeMap::new();
        for (key, stats) in taken {
            by_namespace
                .entry(key.0.namespace())
                .or_default()
                .push(datum(key, stats));
        }
        let mut sent = 0;
        for (namespace, data) in by_namespace {
            // PutMetricData takes up to 1000 datapoints per call.
            for chunk in data.chunks(1000) {
                cloudwatch
                    .put_metric_data()
                    .namespace(namespace)
                    .set_metric_data(Some(chunk.to_vec()))
                    .send()
                    .await
                    .map_err(|err| {
                        AwsError::from_sdk(
                            "send the local runner's metrics (cloudwatch:PutMetricData)",
                            err,
                        )
                    })?;
                sent += chunk.len();
            }
        }
        Ok(sent)
    }
}

fn datum((metric, target, minute): Key, stats: Stats) -> MetricDatum {
    let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(minute.max(0) as u64);
    MetricDatum::builder()
        .metric_name(metric.name())
        .dimensions(
            Dimension::builder()
                .name(metric.dimension())
                .value(target)
                .build(),
        )
        .timestamp(at.into())
        .statistic_values(
            StatisticSet::builder()
                .sample_count(stats.count)
                .sum(stats.sum)
                .minimum(stats.min)
                .maximum(stats.max)
                .build(),
        )
        .unit(metric.unit())
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_aggregate_like_cloudwatch_statistic_sets() {
        let recorder = Recorder::default();
        recorder.record(LocalMetric::Duration, "f", 10.0);
        recorder.record(LocalMetric::Duration, "f", 30.0);
        recorder.record(LocalMetric::Duration, "g", 5.0);
        assert_eq!(recorder.total(LocalMetric::Duration, "f"), 40.0);
        assert_eq!(recorder.count(LocalMetric::Duration, "f"), 2.0);
        let stats = recorder.stats.lock().unwrap();
        let (key, s) = stats.iter().next().unwrap();
        let d = datum(key.clone(), *s);
        let set = d.statistic_values().unwrap();
        assert_eq!(
            (set.sample_count(), set.sum(), set.minimum(), set.maximum()),
            (Some(2.0), Some(40.0), Some(10.0), Some(30.0))
        );
        assert_eq!(d.dimensions()[0].name(), Some("FunctionName"));
        assert_eq!(d.unit(), Some(&StandardUnit::Milliseconds));
    }

    #[test]
    fn memory_and_init_go_where_lambda_insights_puts_them() {
        let recorder = Recorder::default();
        recorder.record(LocalMetric::UsedMemoryMax, "f", 38.0);
        recorder.record(LocalMetric::InitDuration, "f", 412.0);
        let stats = recorder.stats.lock().unwrap();
        for (key, s) in stats.iter() {
            assert_eq!(key.0.namespace(), "LambdaInsights");
            let d = datum(key.clone(), *s);
            assert_eq!(d.dimensions()[0].name(), Some("function_name"));
        }
        let names: Vec<&str> = stats.keys().map(|k| k.0.name()).collect();
        assert_eq!(names, ["used_memory_max", "init_duration"]);
    }

    #[test]
    fn records_read_are_keyed_by_the_mapping() {
        let recorder = Recorder::default();
        recorder.record(LocalMetric::PolledEventCount, "uuid-1", 100.0);
        let stats = recorder.stats.lock().unwrap();
        let (key, s) = stats.iter().next().unwrap();
        let d = datum(key.clone(), *s);
        assert_eq!(d.dimensions()[0].name(), Some("EventSourceMappingUUID"));
        assert_eq!(d.metric_name(), Some("PolledEventCount"));
    }
}
