//! Direct Lambda calls on one event source mapping: change its batching, read it, and wait until
//! Lambda reports it Enabled with given values (`tune`, and `up` putting a mapping back).

use std::time::{Duration, Instant};

use aws_sdk_lambda::operation::get_event_source_mapping::GetEventSourceMappingOutput;

use super::DeployError;
use super::batching::Batching;
use super::resources::Mapping;
use crate::aws::Clients;

/// How long a mapping may take to report the new values.
const EFFECT_LIMIT: Duration = Duration::from_secs(300);

pub async fn update_mapping(
    clients: &Clients,
    mapping: &Mapping,
    after: Batching,
) -> Result<(), DeployError> {
    clients
        .lambda
        .update_event_source_mapping()
        .uuid(&mapping.uuid)
        .batch_size(after.batch_size)
        .maximum_batching_window_in_seconds(after.window_seconds)
        .send()
        .await
        .map_err(|err| {
            DeployError::aws(
                format!("update the event source mapping of {}", mapping.function),
                err,
            )
        })?;
    Ok(())
}

/// The mapping as Lambda reports it now.
async fn read(
    clients: &Clients,
    mapping: &Mapping,
) -> Result<GetEventSourceMappingOutput, DeployError> {
    clients
        .lambda
        .get_event_source_mapping()
        .uuid(&mapping.uuid)
        .send()
        .await
        .map_err(|err| {
            DeployError::aws(
                format!("read the event source mapping of {}", mapping.function),
                err,
            )
        })
}

/// The mapping's batching as Lambda reports it now.
pub async fn current_batching(
    clients: &Clients,
    mapping: &Mapping,
) -> Result<Batching, DeployError> {
    let current = read(clients, mapping).await?;
    Ok(Batching {
        batch_size: current.batch_size().unwrap_or_default(),
        window_seconds: current
            .maximum_batching_window_in_seconds()
            .unwrap_or_default(),
    })
}

/// Polls until the mapping is Enabled with the new values: that is when the change is live.
pub async fn wait_for_effect(
    clients: &Clients,
    mapping: &Mapping,
    after: Batching,
    started: Instant,
) -> Result<(), DeployError> {
    loop {
        let current = read(clients, mapping).await?;
        let state = current.state().unwrap_or_default().to_owned();
        let values = (
            current.batch_size(),
            current.maximum_batching_window_in_seconds(),
        );
        if state == "Enabled" && values == (Some(after.batch_size), Some(after.window_seconds)) {
            return Ok(());
        }
        if started.elapsed() > EFFECT_LIMIT {
            return Err(DeployError::Incomplete(format!(
                "the mapping of {} is still {state} with batch {:?} / window {:?} after {} s; `demo status` shows it, `demo tune` again retries",
                mapping.function,
                values.0,
                values.1,
                EFFECT_LIMIT.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
