//! The runner keeps to the deployed code: once a second each function's host asks the emulator
//! whether the function runs new code (`FunctionHost::follow_deployed`) and, if so, runs it from
//! the next invocation on and says so; a zip it cannot run is reported and the old code kept.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::host::FunctionHost;
use super::mapping::Stop;
use crate::terminal;

/// How often the hosts look for new code: well within `demo watch`'s 2 s from update to answer.
const FOLLOW_INTERVAL: Duration = Duration::from_secs(1);

/// Looks until the run stops.
pub(crate) async fn run(hosts: Vec<Arc<FunctionHost>>, mut stop: watch::Receiver<Stop>) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(FOLLOW_INTERVAL) => {}
            _ = stop.changed() => return,
        }
        for host in &hosts {
            let name = &host.spec().name;
            match host.follow_deployed().await {
                Ok(Some(binary)) => {
                    terminal::note(format!("{name} now runs {}", binary.describe()));
                }
                Ok(None) => {}
                Err(err) => terminal::warn(format!("{name} keeps its running code: {err}")),
            }
        }
    }
}
