//! `demo failures`: the records the consumers gave up on, why each cannot be written, and with
//! `--redrive` those that can be written now, written.

use std::fmt;

use crate::aws::connect;
use crate::deploy::{resources, stack};
use crate::error::CliError;
use crate::failures::{self, FailedBatch, Failures, RecordState};
use crate::output;
use crate::settings::Settings;

pub(crate) async fn run(settings: &Settings, redrive: bool) -> Result<(), CliError> {
    let clients = connect(&settings.aws).await?;
    let name = &settings.aws.stack_name;
    stack::describe_existing(&clients.cloudformation, name, &clients.region).await?;
    let deployed = resources::deployed(&clients, name).await?;
    let found = failures::collect(&clients, &deployed, redrive).await?;
    Ok(output::emit(settings.output, &found)?)
}

/// Counts over every batch, for the closing line.
#[derive(Debug, Default, PartialEq)]
struct Totals {
    cannot: u64,
    writable: u64,
    redriven: u64,
    still_failing: u64,
    already_written: u64,
    gone: u64,
    deleted: u64,
}

fn totals(batches: &[FailedBatch]) -> Totals {
    let mut totals = Totals::default();
    for batch in batches {
        totals.already_written += batch.already_written;
        totals.gone += batch.gone;
        totals.deleted += u64::from(batch.deleted);
        for record in &batch.records {
            match record.state {
                RecordState::Writable => totals.writable += 1,
                RecordState::Redriven => totals.redriven += 1,
                RecordState::StillFailing(_) => totals.still_failing += 1,
                RecordState::Written => totals.already_written += 1,
                _ => totals.cannot += 1,
            }
        }
    }
    totals
}

impl fmt::Display for Failures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let messages = self.batches.len() + self.unreadable.len();
        if messages == 0 && self.hidden > 0 {
            return writeln!(
                f,
                "{} message(s) are hidden by another reader of the on-failure queue (another \
                 `demo failures` at work, or one cut short): SQS shows them again within 5 \
                 minutes",
                self.hidden
            );
        }
        if messages == 0 {
            return writeln!(f, "nothing given up: the on-failure queue is empty");
        }
        writeln!(f, "on-failure queue: {messages} message(s)")?;
        for batch in &self.batches {
            write_batch(f, batch)?;
        }
        for message in &self.unreadable {
            writeln!(f, "  message {}: {}", message.message_id, message.reason)?;
            writeln!(f, "    body: {}", message.body)?;
        }
        write_totals(f, &totals(&self.batches), self.redrive)?;
        if self.more_waiting {
            writeln!(
                f,
                "more messages wait in the queue: run `demo failures` again"
            )?;
        }
        Ok(())
    }
}

fn write_batch(f: &mut fmt::Formatter<'_>, batch: &FailedBatch) -> fmt::Result {
    let consumer = batch
        .consumer
        .map_or("not a consumer of this stack".to_owned(), |c| {
            format!("consumer {c}")
        });
    writeln!(
        f,
        "  {} ({consumer}), {}: {} of {} record(s) gave up, {}{}",
        batch.function,
        batch.shard_id,
        batch.condition,
        batch.batch_size,
        batch.given_up_at.as_deref().unwrap_or("time unknown"),
        if batch.deleted {
            " — message deleted"
        } else {
            ""
        },
    )?;
    for record in &batch.records {
        let what = match (&record.order, &record.data) {
            (Some(order), _) => format!(
                "order {} ({})",
                order.orderid.as_deref().unwrap_or("-"),
                order.accountid
            ),
            (None, Some(data)) => format!("data {data:?}"),
            (None, None) => "-".to_owned(),
        };
        writeln!(
            f,
            "    {}  arrived {}  {what}",
            record.sequence_number,
            record.arrived_at.as_deref().unwrap_or("?"),
        )?;
        writeln!(f, "      {}", state_text(&record.state))?;
    }
    if batch.already_written > 0 {
        writeln!(
            f,
            "    {} record(s) of this range are in the table already",
            batch.already_written
        )?;
    }
    if batch.gone > 0 {
        writeln!(
            f,
            "    {} record(s) are gone: {}",
            batch.gone,
            batch
                .gone_because
                .as_deref()
                .unwrap_or("the stream no longer holds them")
        )?;
    }
    Ok(())
}

fn state_text(state: &RecordState) -> String {
    match state {
        RecordState::Written => "in the table".into(),
        RecordState::NotAnOrder(reason) => format!("not an order: {reason}"),
        RecordState::Unstorable(reason) => format!("DynamoDB cannot store it: {reason}"),
        RecordState::Writable => {
            "not in the table, writable now (`demo failures --redrive`)".into()
        }
        RecordState::Redriven => "written now by --redrive".into(),
        RecordState::StillFailing(reason) => format!("still failing: {reason}"),
        RecordState::Unchecked(reason) => format!("not checked: {reason}"),
    }
}

fn write_totals(f: &mut fmt::Formatter<'_>, t: &Totals, redrive: bool) -> fmt::Result {
    let mut parts = vec![format!("{} cannot be written", t.cannot)];
    if redrive {
        parts.push(format!("{} written by --redrive", t.redriven));
        parts.push(format!("{} still failing", t.still_failing));
        parts.push(format!("{} message(s) deleted", t.deleted));
    } else {
        parts.push(format!("{} writable now (--redrive)", t.writable));
    }
    parts.push(format!("{} already in their table", t.already_written));
    parts.push(format!("{} gone", t.gone));
    writeln!(f, "records: {}", parts.join(", "))?;
    if t.cannot + t.still_failing + t.gone > 0 || (!redrive && t.writable > 0) {
        writeln!(
            f,
            "messages stay in the queue until all their records are written; the stream keeps \
             records for its retention (24 h by default), after which they are gone"
        )?;
    }
    Ok(())
}
