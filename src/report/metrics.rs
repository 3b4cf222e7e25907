//! CloudWatch metrics of the stack's functions: one GetMetricData query per figure, and the
//! answers kept as time series per function, from which totals, averages and maxima follow.

use std::collections::HashMap;

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};

use super::error::ReportError;
use super::window::Window;
use crate::aws::AwsError;

/// A function the report covers: its name and, for a consumer, its mapping's UUID.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) function: String,
    pub(crate) mapping_uuid: Option<String>,
}

/// Each figure the report reads, one CloudWatch statistic each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Figure {
    Invocations,
    Errors,
    Throttles,
    DurationSum,
    DurationCount,
    DurationMax,
    DurationP50,
    DurationP99,
    IteratorAgeMax,
    IteratorAgeP99,
    RecordsRead,
    MemoryUtilizationSum,
    MemoryUtilizationCount,
    MemoryUtilizationMax,
    UsedMemoryMax,
    CpuTimeSum,
    RxBytes,
    TxBytes,
    NetworkBytes,
    InitDurationSum,
    InitDurationCount,
}

/// Where a figure lives: Lambda's own metrics, Lambda Insights', or the mapping's.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Source {
    Lambda,
    Insights,
    Mapping,
}

struct Spec {
    figure: Figure,
    source: Source,
    metric: &'static str,
    stat: &'static str,
}

const fn spec(figure: Figure, source: Source, metric: &'static str, stat: &'static str) -> Spec {
    Spec {
        figure,
        source,
        metric,
        stat,
    }
}

/// Figures that add up across periods, read as series.
const SERIES: &[Spec] = &[
    spec(Figure::Invocations, Source::Lambda, "Invocations", "Sum"),
    spec(Figure::Errors, Source::Lambda, "Errors", "Sum"),
    spec(Figure::Throttles, Source::Lambda, "Throttles", "Sum"),
    spec(Figure::DurationSum, Source::Lambda, "Duration", "Sum"),
    spec(
        Figure::DurationCount,
        Source::Lambda,
        "Duration",
        "SampleCount",
    ),
    spec(Figure::DurationMax, Source::Lambda, "Duration", "Maximum"),
    spec(
        Figure::IteratorAgeMax,
        Source::Lambda,
        "IteratorAge",
        "Maximum",
    ),
    spec(
        Figure::RecordsRead,
        Source::Mapping,
        "PolledEventCount",
        "Sum",
    ),
    spec(
        Figure::MemoryUtilizationSum,
        Source::Insights,
        "memory_utilization",
        "Sum",
    ),
    spec(
        Figure::MemoryUtilizationCount,
        Source::Insights,
        "memory_utilization",
        "SampleCount",
    ),
    spec(
        Figure::MemoryUtilizationMax,
        Source::Insights,
        "memory_utilization",
        "Maximum",
    ),
    spec(
        Figure::UsedMemoryMax,
        Source::Insights,
        "used_memory_max",
        "Maximum",
    ),
    spec(
        Figure::CpuTimeSum,
        Source::Insights,
        "cpu_total_time",
        "Sum",
    ),
    spec(Figure::RxBytes, Source::Insights, "rx_bytes", "Sum"),
    spec(Figure::TxBytes, Source::Insights, "tx_bytes", "Sum"),
    spec(
        Figure::NetworkBytes,
        Source::Insights,
        "total_network",
        "Sum",
    ),
    spec(
        Figure::InitDurationSum,
        Source::Insights,
        "init_duration",
        "Sum",
    ),
    spec(
        Figure::InitDurationCount,
        Source::Insights,
        "init_duration",
        "SampleCount",
    ),
];

/// Figures that do not add up across periods: read over one period spanning the window.
const PERCENTILES: &[Spec] = &[
    spec(Figure::DurationP50, Source::Lambda, "Duration", "p50"),
    spec(Figure::DurationP99, Source::Lambda, "Duration", "p99"),
    spec(Figure::IteratorAgeP99, Source::Lambda, "IteratorAge", "p99"),
];

/// (seconds since the Unix epoch, value), oldest first.
pub(crate) type Points = Vec<(i64, f64)>;

/// Every series read, per function (in the order of the targets) and figure.
#[derive(Debug, Default)]
pub(crate) struct Measured {
    series: HashMap<(usize, Figure), Points>,
}

impl Measured {
    pub(crate) fn points(&self, function: usize, figure: Figure) -> &[(i64, f64)] {
        self.series
            .get(&(function, figure))
            .map_or(&[], Vec::as_slice)
    }

    /// Adds datapoints, as a GetMetricData answer would.
    #[cfg(test)]
    pub(crate) fn insert(&mut self, function: usize, figure: Figure, points: &[(i64, f64)]) {
        let series = self.series.entry((function, figure)).or_default();
        series.extend_from_slice(points);
        series.sort_by_key(|(at, _)| *at);
    }

    /// The sum over the window, or None when CloudWatch had no datapoint.
    pub(crate) fn total(&self, function: usize, figure: Figure) -> Option<f64> {
        let points = self.points(function, figure);
        (!points.is_empty()).then(|| points.iter().map(|(_, v)| v).sum())
    }

    pub(crate) fn max(&self, function: usize, figure: Figure) -> Option<f64> {
        self.points(function, figure)
            .iter()
            .map(|(_, v)| *v)
            .reduce(f64::max)
    }

    /// Sum ÷ count across the window (the true average of per-invocation datapoints).
    pub(crate) fn average(&self, function: usize, sum: Figure, count: Figure) -> Option<f64> {
        let count = self.total(function, count).filter(|c| *c > 0.0)?;
        Some(self.total(function, sum)? / count)
    }

    /// The figures that add up (Invocations, Duration, network, …), as series of `period` seconds.
    pub(crate) async fn read(
        cloudwatch: &Client,
        targets: &[Target],
        window: Window,
        period: i32,
    ) -> Result<Measured, ReportError> {
        fetch(cloudwatch, targets, SERIES, window, period).await
    }

    /// Percentiles over the whole window (one period).
    pub(crate) async fn read_percentiles(
        cloudwatch: &Client,
        targets: &[Target],
        window: Window,
        period: i32,
    ) -> Result<Measured, ReportError> {
        fetch(cloudwatch, targets, PERCENTILES, window, period).await
    }
}

async fn fetch(
    cloudwatch: &Client,
    targets: &[Target],
    specs: &[Spec],
    window: Window,
    period: i32,
) -> Result<Measured, ReportError> {
    let queries = queries(targets, specs, period);
    let ids: HashMap<&str, (usize, Figure)> = queries
        .iter()
        .filter_map(|(query, key)| Some((query.id()?, *key)))
        .collect();
    let mut measured = Measured::default();
    // GetMetricData takes at most 500 queries per call.
    for chunk in queries.chunks(500) {
        let mut pages = cloudwatch
            .get_metric_data()
            .set_metric_data_queries(Some(chunk.iter().map(|(query, _)| query.clone()).collect()))
            .start_time(window.start.into())
            .end_time(window.end.into())
            .scan_by(ScanBy::TimestampAscending)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|err| {
                AwsError::from_sdk(
                    "read the functions' metrics (cloudwatch:GetMetricData)",
                    err,
                )
            })?;
            for result in page.metric_data_results() {
                let Some(key) = result.id().and_then(|id| ids.get(id)) else {
                    continue;
                };
                let points = result
                    .timestamps()
                    .iter()
                    .zip(result.values())
                    .map(|(at, value)| (at.secs(), *value));
                measured.series.entry(*key).or_default().extend(points);
            }
        }
    }
    for points in measured.series.values_mut() {
        points.sort_by_key(|(at, _)| *at);
    }
    Ok(measured)
}

/// One query (id `f<function>_<spec>`) for every figure that applies to each target, with the
/// function and figure its answer belongs to.
fn queries(
    targets: &[Target],
    specs: &[Spec],
    period: i32,
) -> Vec<(MetricDataQuery, (usize, Figure))> {
    let mut queries = Vec::new();
    for (t, target) in targets.iter().enumerate() {
        for (s, spec) in specs.iter().enumerate() {
            if spec.source == Source::Mapping && target.mapping_uuid.is_none() {
                continue;
            }
            if spec.metric == "IteratorAge" && target.mapping_uuid.is_none() {
                continue;
            }
            let query = query(&format!("f{t}_{s}"), target, spec, period);
            queries.push((query, (t, spec.figure)));
        }
    }
    queries
}

fn query(id: &str, target: &Target, spec: &Spec, period: i32) -> MetricDataQuery {
    let (namespace, dimension, value) = match spec.source {
        Source::Lambda => ("AWS/Lambda", "FunctionName", target.function.as_str()),
        Source::Insights => ("LambdaInsights", "function_name", target.function.as_str()),
        Source::Mapping => (
            "AWS/Lambda",
            "EventSourceMappingUUID",
            target.mapping_uuid.as_deref().unwrap_or_default(),
        ),
    };
    let metric = Metric::builder()
        .namespace(namespace)
        .metric_name(spec.metric)
        .dimensions(Dimension::builder().name(dimension).value(value).build())
        .build();
    let stat = MetricStat::builder()
        .metric(metric)
        .period(period)
        .stat(spec.stat)
        .build();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(stat)
        .return_data(true)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets() -> Vec<Target> {
        vec![
            Target {
                function: "s-put-record".into(),
                mapping_uuid: None,
            },
            Target {
                function: "s-put-item-1".into(),
                mapping_uuid: Some("uuid-1".into()),
            },
        ]
    }

    #[test]
    fn producers_get_no_mapping_or_iterator_queries() {
        let ids = queries(&targets(), SERIES, 60);
        let producer: Vec<_> = ids.iter().filter(|(_, (t, _))| *t == 0).collect();
        let consumer: Vec<_> = ids.iter().filter(|(_, (t, _))| *t == 1).collect();
        assert_eq!(consumer.len(), SERIES.len());
        assert_eq!(producer.len(), SERIES.len() - 2);
        assert!(!producer.iter().any(|(_, (_, f))| *f == Figure::RecordsRead));
    }

    #[test]
    fn queries_name_namespace_dimension_and_statistic() {
        let targets = targets();
        let queries = queries(&targets, SERIES, 60);
        let find = |figure: Figure| {
            let (query, _) = queries.iter().find(|(_, k)| *k == (1, figure)).unwrap();
            query.clone()
        };
        let records = find(Figure::RecordsRead);
        let stat = records.metric_stat().unwrap();
        let metric = stat.metric().unwrap();
        assert_eq!(metric.namespace(), Some("AWS/Lambda"));
        assert_eq!(metric.metric_name(), Some("PolledEventCount"));
        assert_eq!(
            metric.dimensions()[0].name(),
            Some("EventSourceMappingUUID")
        );
        assert_eq!(metric.dimensions()[0].value(), Some("uuid-1"));
        assert_eq!(stat.stat(), Some("Sum"));
        assert_eq!(stat.period(), Some(60));
        let memory = find(Figure::MemoryUtilizationMax);
        let metric = memory.metric_stat().unwrap().metric().unwrap();
        assert_eq!(metric.namespace(), Some("LambdaInsights"));
        assert_eq!(metric.dimensions()[0].name(), Some("function_name"));
        assert_eq!(metric.dimensions()[0].value(), Some("s-put-item-1"));
    }

    #[test]
    fn totals_averages_and_maxima_come_from_the_series() {
        let mut measured = Measured::default();
        measured
            .series
            .insert((0, Figure::DurationSum), vec![(60, 100.0), (120, 50.0)]);
        measured
            .series
            .insert((0, Figure::DurationCount), vec![(60, 4.0), (120, 1.0)]);
        measured
            .series
            .insert((0, Figure::DurationMax), vec![(60, 40.0), (120, 50.0)]);
        assert_eq!(measured.total(0, Figure::DurationSum), Some(150.0));
        assert_eq!(
            measured.average(0, Figure::DurationSum, Figure::DurationCount),
            Some(30.0)
        );
        assert_eq!(measured.max(0, Figure::DurationMax), Some(50.0));
        assert_eq!(measured.total(0, Figure::Errors), None);
        assert_eq!(measured.total(1, Figure::DurationSum), None);
    }

    /// GetMetricData answers as AWS sends them: ids back, several pages, percentiles.
    mod flow {
        use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataOutput;
        use aws_sdk_cloudwatch::primitives::DateTime;
        use aws_sdk_cloudwatch::types::MetricDataResult;
        use aws_smithy_mocks::{RuleMode, mock, mock_client};

        use super::*;

        fn window() -> Window {
            let start =
                std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
            Window {
                start,
                end: start + std::time::Duration::from_secs(3600),
            }
        }

        fn result(id: &str, points: &[(i64, f64)]) -> MetricDataResult {
            MetricDataResult::builder()
                .id(id)
                .set_timestamps(Some(
                    points
                        .iter()
                        .map(|(t, _)| DateTime::from_secs(*t))
                        .collect(),
                ))
                .set_values(Some(points.iter().map(|(_, v)| *v).collect()))
                .build()
        }

        #[tokio::test]
        async fn answers_over_several_pages_land_on_their_function_and_figure() {
            let targets = targets();
            let ids = queries(&targets, PERCENTILES, 3600);
            let id = |t: usize, f: Figure| {
                let (query, _) = ids.iter().find(|(_, k)| *k == (t, f)).unwrap();
                query.id().unwrap().to_owned()
            };
            let (p99_consumer, p50_producer) =
                (id(1, Figure::DurationP99), id(0, Figure::DurationP50));
            let first = {
                let p99 = p99_consumer.clone();
                mock!(Client::get_metric_data).then_output(move || {
                    GetMetricDataOutput::builder()
                        .metric_data_results(result(&p99, &[(1_800_000_000, 812.5)]))
                        .next_token("page-2")
                        .build()
                })
            };
            let second = {
                let p50 = p50_producer.clone();
                mock!(Client::get_metric_data)
                    .match_requests(|r| r.next_token() == Some("page-2"))
                    .then_output(move || {
                        GetMetricDataOutput::builder()
                            .metric_data_results(result(&p50, &[(1_800_000_000, 4.0)]))
                            .metric_data_results(result("not-ours", &[(1_800_000_000, 1.0)]))
                            .build()
                    })
            };
            let cloudwatch =
                mock_client!(aws_sdk_cloudwatch, RuleMode::Sequential, [&first, &second]);
            let measured = Measured::read_percentiles(&cloudwatch, &targets, window(), 3600)
                .await
                .unwrap();
            assert_eq!(measured.max(1, Figure::DurationP99), Some(812.5));
            assert_eq!(measured.max(0, Figure::DurationP50), Some(4.0));
            assert_eq!(measured.max(0, Figure::DurationP99), None);
            assert_eq!(second.num_calls(), 1);
        }
    }
}
