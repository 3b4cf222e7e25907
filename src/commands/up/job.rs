//! What one `up` works with: the zips built for the chosen architecture and layer, the artifact
//! bucket they go to, and the parameters `up` manages and was given, read against the stack.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::artifacts::{self, Arch, Artifact, BuildRequest};
use crate::aws::{Clients, account_id};
use crate::deploy::bucket::{self, Bucket};
use crate::deploy::names::StackNames;
use crate::deploy::plan::{self, DeployedState};
use crate::deploy::{DeployError, stack};
use crate::error::CliError;
use crate::insights;
use crate::model::template;
use crate::model::{Override, Parameter};
use crate::settings::{Settings, UpSettings};
use crate::terminal;

/// What one `up` works with once the zips are built: where they go and the parameters it
/// manages and was given.
pub(crate) struct Job<'a> {
    pub(crate) clients: &'a Clients,
    pub(crate) up: &'a UpSettings,
    pub(crate) names: StackNames,
    pub(crate) store: Bucket<'a>,
    /// The user chose the bucket (see `bucket::admit`).
    pub(crate) named_bucket: bool,
    pub(crate) artifacts: Vec<Artifact>,
    pub(crate) layer: Option<String>,
    pub(crate) managed: BTreeMap<Parameter, String>,
    pub(crate) overrides: Vec<Override>,
}

/// The zips to deploy, what they are built for, and how long building them took.
pub(crate) struct Built {
    pub(crate) artifacts: Vec<Artifact>,
    pub(crate) arch: Arch,
    pub(crate) layer: Option<String>,
    pub(crate) seconds: f64,
}

/// The stack as last read, and the parameters `up` wants it to have.
pub(crate) struct StackView {
    pub(crate) current: Option<DeployedState>,
    pub(crate) desired: BTreeMap<String, String>,
}

/// Chooses the architecture and layer, then builds the zips (or reads `--artifacts`).
pub(crate) async fn build(
    settings: &Settings,
    clients: &Clients,
    up: &UpSettings,
) -> Result<Built, CliError> {
    let insights::Choice { arch, layer, .. } = choose_arch_and_layer(clients, up).await?;
    let building = Instant::now();
    let artifacts = match &up.artifacts {
        Some(dir) => artifacts::from_dir(dir, arch)?,
        None => {
            artifacts::build(BuildRequest {
                arch,
                cargo_verbosity: settings.cargo_verbosity(),
            })
            .await?
        }
    };
    Ok(Built {
        artifacts,
        arch,
        layer,
        seconds: building.elapsed().as_secs_f64(),
    })
}

impl<'a> Job<'a> {
    /// Reads the stack and the account, and picks the artifact bucket: the one asked for, else
    /// the one the stack records, else the derived name.
    pub(crate) async fn prepare(
        settings: &Settings,
        clients: &'a Clients,
        up: &'a UpSettings,
        built: Built,
        overrides: Vec<Override>,
    ) -> Result<(Job<'a>, Option<DeployedState>), CliError> {
        let names = StackNames::new(&settings.aws.stack_name, &clients.region);
        let account = account_id(clients).await?;
        let current = stack::describe(&clients.cloudformation, &names.stack).await?;
        let (bucket_name, named_bucket) = bucket::choose(
            up.artifact_bucket.as_deref(),
            current.as_ref().map(|c| &c.parameters),
            &names.bucket(&account),
        );
        let layer = built.layer;
        let managed =
            managed_parameters(&bucket_name, &built.artifacts, built.arch, layer.as_deref());
        let store = Bucket {
            s3: &clients.s3,
            name: bucket_name,
            owner: account,
        };
        let job = Job {
            clients,
            up,
            names,
            store,
            named_bucket,
            artifacts: built.artifacts,
            layer,
            managed,
            overrides,
        };
        Ok((job, current))
    }

    /// The parameters `up` wants for the stack as `current` has it.
    pub(crate) fn view(&self, current: Option<DeployedState>) -> StackView {
        let desired = plan::desired_parameters(
            &self.managed,
            &self.overrides,
            current.as_ref().map(|c| &c.parameters),
        );
        StackView { current, desired }
    }

    /// Reads the stack again (after waiting for it, or deleting it).
    pub(crate) async fn read(&self) -> Result<StackView, DeployError> {
        let cfn = &self.clients.cloudformation;
        Ok(self.view(stack::describe(cfn, &self.names.stack).await?))
    }
}

/// The architecture to build for and the layer to attach (see `insights::choose`); a choice
/// the tool made for the user is said in one line.
async fn choose_arch_and_layer(
    clients: &Clients,
    up: &UpSettings,
) -> Result<insights::Choice, DeployError> {
    let choice = insights::choose(
        &clients.lambda,
        &clients.region,
        !clients.is_emulator(),
        up.arch,
        &up.insights,
    )
    .await
    .map_err(|err| {
        DeployError::Invalid(vec![template::ParameterError {
            flag: "--region".into(),
            value: clients.region.clone(),
            rule: err.to_string(),
        }])
    })?;
    if let Some(note) = &choice.note {
        terminal::warn(note);
    }
    Ok(choice)
}

fn artifact<'a>(artifacts: &'a [Artifact], function: &str) -> &'a Artifact {
    artifacts
        .iter()
        .find(|a| a.function == function)
        .expect("build makes every function")
}

fn managed_parameters(
    bucket_name: &str,
    artifacts: &[Artifact],
    arch: Arch,
    layer: Option<&str>,
) -> BTreeMap<Parameter, String> {
    BTreeMap::from([
        (Parameter::ArtifactBucket, bucket_name.to_owned()),
        (
            Parameter::PutRecordCodeKey,
            bucket::artifact_key(artifact(artifacts, "put-record")),
        ),
        (
            Parameter::PutItemCodeKey,
            bucket::artifact_key(artifact(artifacts, "put-item")),
        ),
        (Parameter::Architecture, arch.name().to_owned()),
        (
            Parameter::InsightsLayerArn,
            layer.unwrap_or_default().to_owned(),
        ),
    ])
}
