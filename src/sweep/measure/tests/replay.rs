//! The run as AWS recorded it (`Recorded`), and SDK clients that answer `read_back`'s calls
//! from it with AWS-shaped HTTP answers: each GetMetricData query by its own id, the Logs
//! Insights query of the billed durations, and each consumer's table in Scan pages. The rules
//! check that every call asks for exactly the run's window.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_cloudwatch::config::http::HttpResponse;
use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataInput;
use aws_sdk_cloudwatch::primitives::{DateTime, DateTimeFormat};
use aws_sdk_dynamodb::operation::scan::ScanInput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_mocks::{MockResponse, Rule, mock};
use serde_json::{Value, json};

use super::answers::{self, Series};
use crate::aws::Clients;
use crate::aws::replay::{self, interceptor};
use crate::epoch;
use crate::report::billed::LOG_GROUP;
use crate::report::window::Window;

pub(crate) const REGION: &str = "ap-southeast-2";
pub(crate) const MEMORY_MB: f64 = 128.0;
pub(crate) const PRODUCER: &str = "demo-put-record";
pub(crate) const CONSUMERS: [&str; 2] = ["demo-put-item-1", "demo-put-item-2"];
pub(crate) const UUIDS: [&str; 2] = [
    "6a0c2f4e-1b3d-4c5e-8f70-9a1b2c3d4e5f",
    "f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9",
];
pub(crate) const TABLES: [&str; 2] = ["demo-orders-1", "demo-orders-2"];
const QUERY_ID: &str = "7d3a9c41-0e6b-4f2a-b8d5-1c9e0a7f6b32";
/// Items a Scan page reads besides the ones the filter lets through (earlier runs' items).
const OLDER_ITEMS_PER_PAGE: usize = 40;
const ITEMS_PER_PAGE: usize = 200;

/// What one function did in the run, minute by minute from the window's start, as CloudWatch,
/// Lambda Insights and its table hold it.
pub(crate) struct Activity {
    pub(crate) invocations: Vec<f64>,
    pub(crate) errors: Vec<f64>,
    pub(crate) duration_sum_ms: Vec<f64>,
    /// Its mapping's PolledEventCount (consumers only).
    pub(crate) records_polled: Vec<f64>,
    /// Billed duration, as Lambda Insights sums `billed_duration`.
    pub(crate) billed_ms: Vec<f64>,
    /// Kinesis arrival → table write of each of its items (consumers only).
    pub(crate) delays_ms: Vec<i64>,
}

impl Activity {
    pub(crate) fn invocations(&self) -> f64 {
        self.invocations.iter().sum()
    }

    pub(crate) fn records(&self) -> f64 {
        self.records_polled.iter().sum()
    }

    pub(crate) fn average_ms(&self) -> f64 {
        self.duration_sum_ms.iter().sum::<f64>() / self.invocations()
    }

    pub(crate) fn billed_mb_ms(&self) -> f64 {
        self.billed_ms.iter().sum::<f64>() * MEMORY_MB
    }
}

/// The run as AWS recorded it: its window, the producer and both consumers.
pub(crate) struct Recorded {
    pub(crate) window: Window,
    pub(crate) producer: Activity,
    pub(crate) consumers: [Activity; 2],
}

/// The AWS path's clients (no endpoint URL), CloudWatch, CloudWatch Logs and DynamoDB answering
/// with `rules`; the other services' calls would get the mock HTTP client's 418.
pub(crate) fn replaying(cloudwatch: &[&Rule], logs: &[&Rule], dynamodb: &[&Rule]) -> Clients {
    let sdk = replay::sdk_config(REGION);
    Clients {
        cloudwatch: aws_sdk_cloudwatch::Client::from_conf(
            aws_sdk_cloudwatch::config::Builder::from(&sdk)
                .interceptor(interceptor(cloudwatch))
                .build(),
        ),
        logs: aws_sdk_cloudwatchlogs::Client::from_conf(
            aws_sdk_cloudwatchlogs::config::Builder::from(&sdk)
                .interceptor(interceptor(logs))
                .build(),
        ),
        dynamodb: aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk)
                .interceptor(interceptor(dynamodb))
                .build(),
        ),
        ..Clients::new(&sdk)
    }
}

/// The replayed services' rules for a run as `recorded`.
pub(crate) struct Replay {
    pub(crate) metrics: Rule,
    pub(crate) query_started: Rule,
    pub(crate) query_results: Rule,
    pub(crate) tables: [Rule; 2],
}

impl Replay {
    pub(crate) fn of(recorded: &Recorded) -> Replay {
        Replay {
            metrics: metrics_rule(recorded),
            query_started: query_started_rule(recorded.window),
            query_results: query_results_rule(recorded),
            tables: [0, 1].map(|index| table_rule(recorded, index)),
        }
    }

    pub(crate) fn clients(&self) -> Clients {
        replaying(
            &[&self.metrics],
            &[&self.query_started, &self.query_results],
            &[&self.tables[0], &self.tables[1]],
        )
    }
}

/// (namespace, metric, dimension as `name=value`, statistic): what one query asks for.
type MetricKey = (String, String, String, String);

fn metric_key(namespace: &str, metric: &str, dimension: (&str, &str), stat: &str) -> MetricKey {
    let (name, value) = dimension;
    let dimension = format!("{name}={value}");
    (namespace.into(), metric.into(), dimension, stat.into())
}

/// Every datapoint CloudWatch holds for the run: Lambda's per function, PolledEventCount per
/// mapping UUID. Minute `k` of a series is stamped at the window's start + k minutes.
fn datapoints(recorded: &Recorded) -> HashMap<MetricKey, Vec<(i64, f64)>> {
    let start = epoch::seconds(recorded.window.start);
    let points = |values: &[f64]| -> Vec<(i64, f64)> {
        (0i64..)
            .zip(values)
            .map(|(k, v)| (start + 60 * k, *v))
            .collect()
    };
    let mut datapoints = HashMap::new();
    let functions = [(PRODUCER, &recorded.producer)]
        .into_iter()
        .chain(CONSUMERS.into_iter().zip(&recorded.consumers));
    for (function, activity) in functions {
        let lambda =
            |metric, stat| metric_key("AWS/Lambda", metric, ("FunctionName", function), stat);
        datapoints.insert(lambda("Invocations", "Sum"), points(&activity.invocations));
        datapoints.insert(lambda("Errors", "Sum"), points(&activity.errors));
        datapoints.insert(lambda("Duration", "Sum"), points(&activity.duration_sum_ms));
        datapoints.insert(
            lambda("Duration", "SampleCount"),
            points(&activity.invocations),
        );
    }
    for (uuid, consumer) in UUIDS.into_iter().zip(&recorded.consumers) {
        let polled = ("EventSourceMappingUUID", uuid);
        let key = metric_key("AWS/Lambda", "PolledEventCount", polled, "Sum");
        datapoints.insert(key, points(&consumer.records_polled));
    }
    datapoints
}

/// GetMetricData: every query the request carries is answered, by its own id, with the
/// datapoints of the metric, dimension and statistic it names (none when CloudWatch has none).
/// The request must ask for exactly the run's window.
fn metrics_rule(recorded: &Recorded) -> Rule {
    let window = recorded.window;
    let datapoints = Arc::new(datapoints(recorded));
    mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .match_requests(move |request| {
            assert_eq!(request.start_time(), Some(&DateTime::from(window.start)));
            assert_eq!(request.end_time(), Some(&DateTime::from(window.end)));
            true
        })
        .then_compute_response(move |request| {
            let series = answer_queries(request, &datapoints);
            MockResponse::Http(answers::metric_data(&series))
        })
}

fn answer_queries(
    request: &GetMetricDataInput,
    datapoints: &HashMap<MetricKey, Vec<(i64, f64)>>,
) -> Vec<Series> {
    (request.metric_data_queries().iter())
        .map(|query| {
            let stat = query.metric_stat().expect("each query reads one metric");
            let metric = stat.metric().expect("the query names its metric");
            let dimension = &metric.dimensions()[0];
            let key = metric_key(
                metric.namespace().unwrap_or_default(),
                metric.metric_name().unwrap_or_default(),
                (
                    dimension.name().unwrap_or_default(),
                    dimension.value().unwrap_or_default(),
                ),
                stat.stat().unwrap_or_default(),
            );
            Series {
                id: query.id().expect("every query has an id").to_owned(),
                label: key.1.clone(),
                points: datapoints.get(&key).cloned().unwrap_or_default(),
            }
        })
        .collect()
}

/// StartQuery on the Insights log group, over exactly the run's window.
fn query_started_rule(window: Window) -> Rule {
    let (start, end) = (window.start, window.end);
    mock!(aws_sdk_cloudwatchlogs::Client::start_query)
        .match_requests(move |request| {
            assert_eq!(request.log_group_name(), Some(LOG_GROUP));
            assert_eq!(request.start_time(), Some(epoch::seconds(start)));
            assert_eq!(request.end_time(), Some(epoch::seconds(end)));
            true
        })
        .then_http_response(|| answers::query_started(QUERY_ID))
}

/// GetQueryResults of that query, finished: one row per function and minute it ran in.
fn query_results_rule(recorded: &Recorded) -> Rule {
    let rows = insights_rows(recorded);
    mock!(aws_sdk_cloudwatchlogs::Client::get_query_results)
        .match_requests(|request| request.query_id() == Some(QUERY_ID))
        .then_http_response(move || answers::query_results(&rows))
}

fn insights_rows(recorded: &Recorded) -> Vec<Vec<(String, String)>> {
    let start = epoch::seconds(recorded.window.start);
    let functions = [(PRODUCER, &recorded.producer)]
        .into_iter()
        .chain(CONSUMERS.into_iter().zip(&recorded.consumers));
    let mut rows = Vec::new();
    for (function, activity) in functions {
        for (k, (invocations, billed_ms)) in
            (0i64..).zip(activity.invocations.iter().zip(&activity.billed_ms))
        {
            rows.push(vec![
                ("function_name".into(), function.into()),
                ("bin(60s)".into(), insights_bin(start + 60 * k)),
                ("mb_ms".into(), (billed_ms * MEMORY_MB).to_string()),
                ("billed_ms".into(), billed_ms.to_string()),
                ("invocations".into(), invocations.to_string()),
            ]);
        }
    }
    rows
}

/// Logs Insights prints a bin as `2026-11-26 07:01:00.000`.
fn insights_bin(seconds: i64) -> String {
    let iso = DateTime::from_secs(seconds)
        .fmt(DateTimeFormat::DateTime)
        .expect("a printable time");
    format!("{}.000", iso.trim_end_matches('Z').replacen('T', " ", 1))
}

/// Scan of consumer `index`'s table, over exactly the run's window, in pages.
fn table_rule(recorded: &Recorded, index: usize) -> Rule {
    let table = TABLES[index];
    let items = Arc::new(items(recorded, &recorded.consumers[index].delays_ms));
    let window = recorded.window;
    mock!(aws_sdk_dynamodb::Client::scan)
        .match_requests(move |request| request.table_name() == Some(table))
        .then_compute_response(move |request| {
            assert_scans_window(request, window);
            MockResponse::Http(scan_page(request, &items))
        })
}

fn assert_scans_window(request: &ScanInput, window: Window) {
    let values = request
        .expression_attribute_values()
        .expect("the filter's values");
    let millis = |time| AttributeValue::N((epoch::seconds(time) * 1000).to_string());
    assert_eq!(values.get(":from"), Some(&millis(window.start)));
    assert_eq!(values.get(":to"), Some(&millis(window.end)));
}

/// The page after the request's ExclusiveStartKey (orderids `order-0000`, … in item order).
fn scan_page(request: &ScanInput, items: &[Value]) -> HttpResponse {
    let after = (request.exclusive_start_key())
        .and_then(|key| key.get("orderid")?.as_s().ok())
        .map_or(0, |id| {
            id["order-".len()..]
                .parse::<usize>()
                .expect("an order number")
                + 1
        });
    let end = (after + ITEMS_PER_PAGE).min(items.len());
    let last_key = (end < items.len()).then(|| {
        json!({
            "accountid": { "S": "account-0001" },
            "orderid": { "S": format!("order-{:04}", end - 1) },
        })
    });
    answers::scan_page(
        &items[after..end],
        end - after + OLDER_ITEMS_PER_PAGE,
        last_key,
    )
}

/// A consumer's items as the Scan projects them: arrival in the stream and write, in ms.
fn items(recorded: &Recorded, delays_ms: &[i64]) -> Vec<Value> {
    let start_ms = epoch::seconds(recorded.window.start) * 1000;
    (0i64..)
        .zip(delays_ms)
        .map(|(i, delay)| {
            let arrived = start_ms + 1_000 + 25 * i;
            json!({
                "arrivedat": { "N": arrived.to_string() },
                "writtenat": { "N": (arrived + delay).to_string() },
            })
        })
        .collect()
}
