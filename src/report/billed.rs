//! Billed duration from the Lambda Insights log events (`/aws/lambda-insights`), through a
//! CloudWatch Logs Insights query: what Lambda actually billed, per function and per period.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::types::{QueryStatus, ResultField};

use super::error::ReportError;
use super::window::Window;
use crate::aws::AwsError;
use crate::epoch;

/// Where Lambda Insights writes one performance event per invocation.
pub(crate) const LOG_GROUP: &str = "/aws/lambda-insights";
const POLL: Duration = Duration::from_secs(1);
const QUERY_LIMIT: Duration = Duration::from_secs(120);

/// What one function was billed for in the window, from its Insights events.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Billed {
    pub(crate) invocations: f64,
    pub(crate) billed_ms: f64,
    pub(crate) mb_ms: f64,
    /// (seconds since the epoch of the period's start, MB-ms), oldest first.
    pub(crate) series: Vec<(i64, f64)>,
}

/// The query: billed MB-ms and milliseconds per function and period.
fn query_text(functions: &[String], period: i32) -> String {
    let names: Vec<String> = functions.iter().map(|f| format!("\"{f}\"")).collect();
    format!(
        "filter event_type = \"performance\" and function_name in [{}] \
         | stats sum(billed_mb_ms) as mb_ms, sum(billed_duration) as billed_ms, count(*) as invocations \
         by function_name, bin({period}s)",
        names.join(", ")
    )
}

/// Billed figures per function name; empty when there are no Insights events (the log group
/// does not exist yet, the layer is off, or the endpoint cannot run Logs Insights queries).
pub(crate) async fn read(
    logs: &Client,
    functions: &[String],
    window: Window,
    period: i32,
) -> Result<HashMap<String, Billed>, ReportError> {
    let started = logs
        .start_query()
        .log_group_name(LOG_GROUP)
        .start_time(epoch::seconds(window.start))
        .end_time(epoch::seconds(window.end))
        .query_string(query_text(functions, period))
        .send()
        .await;
    let query_id = match started {
        Ok(output) => output.query_id.unwrap_or_default(),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            return Ok(HashMap::new());
        }
        Err(err) => {
            return Err(AwsError::from_sdk(
                format!("query the Lambda Insights events (logs:StartQuery on {LOG_GROUP})"),
                err,
            )
            .into());
        }
    };
    let rows = wait_for_rows(logs, &query_id).await?;
    Ok(summarise(&rows))
}

async fn wait_for_rows(
    logs: &Client,
    query_id: &str,
) -> Result<Vec<Vec<ResultField>>, ReportError> {
    let deadline = Instant::now() + QUERY_LIMIT;
    loop {
        let output = logs
            .get_query_results()
            .query_id(query_id)
            .send()
            .await
            .map_err(|err| {
                AwsError::from_sdk("read the Logs Insights results (logs:GetQueryResults)", err)
            })?;
        match output.status() {
            Some(QueryStatus::Complete) => return Ok(output.results().to_vec()),
            Some(QueryStatus::Running | QueryStatus::Scheduled) | None
                if Instant::now() < deadline =>
            {
                tokio::time::sleep(POLL).await;
            }
            status => {
                return Err(ReportError::QueryUnfinished {
                    query_id: query_id.to_owned(),
                    status: status.map_or("without a status", |s| s.as_str()).to_owned(),
                    limit_seconds: QUERY_LIMIT.as_secs(),
                });
            }
        }
    }
}

/// Rows of `function_name`, `bin(…)`, `mb_ms`, `billed_ms`, `invocations` into one Billed per
/// function. Rows without a function name (an endpoint that ignores `stats`) are skipped.
pub(crate) fn summarise(rows: &[Vec<ResultField>]) -> HashMap<String, Billed> {
    let mut billed: HashMap<String, Billed> = HashMap::new();
    for row in rows {
        let field = |name: &str| {
            row.iter()
                .find(|f| {
                    f.field()
                        .is_some_and(|n| n == name || (name == "bin" && n.starts_with("bin(")))
                })
                .and_then(|f| f.value())
        };
        let number = |name: &str| {
            field(name)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        let Some(function) = field("function_name") else {
            continue;
        };
        let entry = billed.entry(function.to_owned()).or_default();
        entry.invocations += number("invocations");
        entry.billed_ms += number("billed_ms");
        entry.mb_ms += number("mb_ms");
        if let Some(at) = field("bin").and_then(parse_bin) {
            entry.series.push((at, number("mb_ms")));
        }
    }
    for entry in billed.values_mut() {
        entry.series.sort_by_key(|(at, _)| *at);
    }
    billed
}

/// Logs Insights prints bins as `2026-11-26 07:01:00.000` (UTC).
fn parse_bin(text: &str) -> Option<i64> {
    use aws_sdk_cloudwatch::primitives::{DateTime, DateTimeFormat};
    let iso = format!("{}Z", text.trim().replacen(' ', "T", 1));
    DateTime::from_str(&iso, DateTimeFormat::DateTime)
        .ok()
        .map(|t| t.secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(fields: &[(&str, &str)]) -> Vec<ResultField> {
        fields
            .iter()
            .map(|(f, v)| ResultField::builder().field(*f).value(*v).build())
            .collect()
    }

    #[test]
    fn the_query_filters_performance_events_of_the_named_functions() {
        let text = query_text(&["a-put-record".into(), "a-put-item-1".into()], 60);
        assert!(text.starts_with("filter event_type = \"performance\""));
        assert!(text.contains("function_name in [\"a-put-record\", \"a-put-item-1\"]"));
        assert!(text.contains("sum(billed_mb_ms) as mb_ms"));
        assert!(text.ends_with("by function_name, bin(60s)"));
    }

    #[test]
    fn rows_as_aws_returns_them_add_up_per_function() {
        // The shape GetQueryResults returns for the query above (values are strings).
        let rows = vec![
            row(&[
                ("function_name", "a-put-item-1"),
                ("bin(60s)", "2026-11-26 07:01:00.000"),
                ("mb_ms", "111837"),
                ("billed_ms", "874"),
                ("invocations", "3"),
            ]),
            row(&[
                ("function_name", "a-put-item-1"),
                ("bin(60s)", "2026-11-26 07:00:00.000"),
                ("mb_ms", "1280"),
                ("billed_ms", "10"),
                ("invocations", "1"),
            ]),
            row(&[
                ("function_name", "a-put-item-2"),
                ("bin(60s)", "2026-11-26 07:00:00.000"),
                ("mb_ms", "672052"),
                ("billed_ms", "5250"),
                ("invocations", "30"),
            ]),
        ];
        let billed = summarise(&rows);
        let one = &billed["a-put-item-1"];
        assert_eq!(one.mb_ms, 113_117.0);
        assert_eq!(one.billed_ms, 884.0);
        assert_eq!(one.invocations, 4.0);
        let seven = parse_bin("2026-11-26 07:00:00.000").unwrap();
        assert_eq!(one.series, vec![(seven, 1280.0), (seven + 60, 111_837.0)]);
        assert_eq!(billed["a-put-item-2"].mb_ms, 672_052.0);
    }

    #[test]
    fn rows_without_a_function_name_are_ignored() {
        // moto answers every query with raw rows holding only @ptr.
        let billed = summarise(&[row(&[("@ptr", "0")])]);
        assert!(billed.is_empty());
    }
}

/// The query flow against recorded answers of the shape AWS sends (at the SDK's HTTP layer).
#[cfg(test)]
mod flow_tests {
    use aws_sdk_cloudwatchlogs::operation::get_query_results::GetQueryResultsOutput;
    use aws_sdk_cloudwatchlogs::operation::start_query::{StartQueryError, StartQueryOutput};
    use aws_sdk_cloudwatchlogs::types::error::ResourceNotFoundException;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;
    use crate::report::window::Window;

    fn window() -> Window {
        let start = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        Window {
            start,
            end: start + Duration::from_secs(3600),
        }
    }

    fn field(name: &str, value: &str) -> ResultField {
        ResultField::builder().field(name).value(value).build()
    }

    #[tokio::test]
    async fn a_running_query_is_polled_until_complete_and_summed() {
        let start = mock!(Client::start_query)
            .then_output(|| StartQueryOutput::builder().query_id("q-1").build());
        let running = mock!(Client::get_query_results)
            .match_requests(|r| r.query_id() == Some("q-1"))
            .then_output(|| {
                GetQueryResultsOutput::builder()
                    .status(QueryStatus::Running)
                    .build()
            });
        let complete = mock!(Client::get_query_results).then_output(|| {
            GetQueryResultsOutput::builder()
                .status(QueryStatus::Complete)
                .results(vec![
                    field("function_name", "s-put-item-1"),
                    field("bin(60s)", "2033-05-18 03:33:00.000"),
                    field("mb_ms", "52480"),
                    field("billed_ms", "410"),
                    field("invocations", "10"),
                ])
                .build()
        });
        let logs = mock_client!(
            aws_sdk_cloudwatchlogs,
            RuleMode::Sequential,
            [&start, &running, &complete]
        );
        let billed = read(&logs, &["s-put-item-1".into()], window(), 60)
            .await
            .unwrap();
        assert_eq!(billed["s-put-item-1"].mb_ms, 52_480.0);
        assert_eq!(billed["s-put-item-1"].invocations, 10.0);
        assert_eq!(complete.num_calls(), 1);
    }

    #[tokio::test]
    async fn no_insights_log_group_means_no_billed_figures() {
        let missing = mock!(Client::start_query).then_error(|| {
            StartQueryError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .message("Log group '/aws/lambda-insights' does not exist")
                    .build(),
            )
        });
        let logs = mock_client!(aws_sdk_cloudwatchlogs, [&missing]);
        let billed = read(&logs, &["f".into()], window(), 60).await.unwrap();
        assert!(billed.is_empty());
    }

    #[tokio::test]
    async fn a_failed_query_is_an_error_naming_it() {
        let start = mock!(Client::start_query)
            .then_output(|| StartQueryOutput::builder().query_id("q-2").build());
        let failed = mock!(Client::get_query_results).then_output(|| {
            GetQueryResultsOutput::builder()
                .status(QueryStatus::Failed)
                .build()
        });
        let logs = mock_client!(
            aws_sdk_cloudwatchlogs,
            RuleMode::Sequential,
            [&start, &failed]
        );
        let err = read(&logs, &["f".into()], window(), 60).await.unwrap_err();
        assert!(
            err.to_string().contains("q-2") && err.to_string().contains("Failed"),
            "{err}"
        );
    }
}
