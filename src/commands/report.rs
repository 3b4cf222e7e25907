//! `demo report`: what each function did and cost in a window, the two consumers side by side.

use std::path::Path;
use std::time::SystemTime;

use crate::aws::connect;
use crate::deploy::plan::DeployedState;
use crate::deploy::resources::{self, Deployed};
use crate::deploy::stack;
use crate::error::CliError;
use crate::model::{Parameter, ParameterValues};
use crate::output;
use crate::report::cost::PUBLISHED;
use crate::report::view::{self, ChartView};
use crate::report::window::Window;
use crate::report::{self, Context};
use crate::settings::{ReportSettings, Settings};

pub(crate) async fn run(settings: &Settings, args: ReportSettings) -> Result<(), CliError> {
    let clients = connect(&settings.aws).await?;
    let name = &settings.aws.stack_name;
    let current = stack::describe_existing(&clients.cloudformation, name, &clients.region).await?;
    let deployed = resources::deployed(&clients, name).await?;
    let now = SystemTime::now();
    let window = Window::resolve(args.since, last_change(&current, &deployed), now)?;
    let context = Context {
        stack: name.clone(),
        region: clients.region.clone(),
        window,
        window_basis: format!(
            "{}, in {} as CloudWatch reads them",
            match args.since {
                Some(_) => "from --since",
                None => "since the last up or tune",
            },
            window.alignment(now)
        ),
        memory_mb: current
            .parameters
            .number(Parameter::MemorySize)
            .unwrap_or(128.0),
        prices: PUBLISHED.for_arch(current.arch(), args.prices),
        subjects: report::read::subjects(&deployed),
        on_lambda: !clients.is_emulator(),
    };
    let mut readings = report::read::read(&clients, &context, now).await?;
    readings
        .notes
        .push(source_note(clients.is_emulator()).into());
    let mut report = report::build(&context, &readings);
    if let Some(path) = &args.chart {
        chart(path, &context, &readings, &mut report)?;
    }
    Ok(output::emit(settings.output, &report)?)
}

/// Where the figures come from, and so how far to trust them.
fn source_note(on_emulator: bool) -> &'static str {
    if !on_emulator {
        "Lambda's metrics reach CloudWatch a minute or two after the invocations: the last minutes of the window may be incomplete"
    } else {
        "against an emulator: the figures are what was put into its CloudWatch, normally what `demo load --local` measured running the deployed functions as processes on this machine (under qemu where they are built for another CPU): their durations, peak resident memory (as used_memory_max) and init times, not Lambda's"
    }
}

/// Draws the chart at `path` and names it in the report; with no data yet, only a note.
fn chart(
    path: &Path,
    context: &Context,
    readings: &report::Readings,
    report: &mut report::Report,
) -> Result<(), CliError> {
    if !report.has_data {
        report
            .notes
            .push(format!("no chart drawn at {}: no data yet", path.display()));
        return Ok(());
    }
    let (view, periods) = view::write(path, context, readings, report)
        .map_err(|err| CliError::Usage(err.to_string()))?;
    report.chart = Some(path.display().to_string());
    report.chart_view = Some(view);
    if view == ChartView::SideBySide {
        report.notes.push(format!(
            "chart drawn as the consumers side by side: the window's invocations fall in {periods} metric period(s), fewer than the {} a chart over time needs",
            view::MIN_PERIODS_FOR_LINES
        ));
    }
    Ok(())
}

/// When the stack or a mapping last changed: the default start of the window.
fn last_change(current: &DeployedState, deployed: &Deployed) -> SystemTime {
    deployed
        .mappings
        .iter()
        .filter_map(|m| m.last_modified)
        .chain(current.last_changed)
        .max()
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::deploy::mapping::Mapping;

    #[test]
    fn the_default_window_starts_at_the_latest_stack_or_mapping_change() {
        let at = |s: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
        let stack = DeployedState {
            last_changed: Some(at(1_000)),
            ..DeployedState::default()
        };
        let mapping = |modified: u64| Mapping {
            consumer: crate::model::Consumer::One,
            function: "f".into(),
            uuid: "u".into(),
            batch_size: Some(100),
            window_seconds: Some(30),
            parallelization: Some(1),
            state: "Enabled".into(),
            state_reason: None,
            last_result: None,
            last_modified: Some(at(modified)),
            function_arn: "arn:f".into(),
            failure: Default::default(),
        };
        let mut deployed = Deployed {
            api_url: None,
            stream: None,
            functions: Default::default(),
            tables: vec![],
            queue: None,
            mappings: vec![mapping(900)],
            dashboard: None,
            resources: vec![],
            in_emulator: false,
        };
        assert_eq!(last_change(&stack, &deployed), at(1_000));
        // A tune changes the mapping after the stack.
        deployed.mappings.push(mapping(2_000));
        assert_eq!(last_change(&stack, &deployed), at(2_000));
    }
}
