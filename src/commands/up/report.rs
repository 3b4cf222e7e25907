//! What `demo up` did, as one value: the summary line, the uploads, what is deployed, and a dry
//! run's plan; text by default, JSON with `--output json`.

use std::fmt;

use serde::{Serialize, Serializer};

use super::dry_run;
use crate::deploy::resources::Deployed;
use crate::deploy::stack::Applied;

/// Seconds per phase: building the zips, uploading them, and deploying (reading the stack,
/// the change set and the wait, putting mappings back).
#[derive(Debug, Default, Serialize)]
pub(crate) struct Phases {
    pub(crate) build: f64,
    pub(crate) upload: f64,
    pub(crate) deploy: f64,
}

/// What `demo up` did.
#[derive(Debug, Serialize)]
pub(crate) struct UpReport {
    pub(crate) stack: String,
    pub(crate) region: String,
    pub(crate) outcome: Outcome,
    /// The whole run, and the part of it each phase took.
    pub(crate) seconds: f64,
    pub(crate) phases: Phases,
    pub(crate) uploads: Vec<Upload>,
    pub(crate) insights_layer: Option<String>,
    pub(crate) deployed: Option<Deployed>,
    /// What the user must know about the mappings: one a user disabled (no records flow to it),
    /// one still changing, a failed last processing attempt.
    pub(crate) notes: Vec<String>,
    /// A dry run's plan (its text goes to stderr as soon as it is read, before this summary).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) plan: Option<dry_run::Plan>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Upload {
    pub(crate) function: String,
    pub(crate) key: String,
    pub(crate) uploaded: bool,
}

/// How `up` ended; its JSON is the words the summary line shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    UpToDate,
    Created,
    Updated,
    DryRun,
}

impl Outcome {
    fn words(self) -> &'static str {
        match self {
            Outcome::UpToDate => "up to date",
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::DryRun => "dry run: nothing changed",
        }
    }
}

impl From<Applied> for Outcome {
    fn from(applied: Applied) -> Self {
        match applied {
            Applied::UpToDate => Outcome::UpToDate,
            Applied::Created => Outcome::Created,
            Applied::Updated => Outcome::Updated,
        }
    }
}

impl Serialize for Outcome {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.words())
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.words())
    }
}

impl fmt::Display for UpReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Phases {
            build,
            upload,
            deploy,
        } = self.phases;
        writeln!(
            f,
            "stack {} in {}: {} ({:.1} s: build {build:.1} s, upload {upload:.1} s, deploy {deploy:.1} s)",
            self.stack, self.region, self.outcome, self.seconds
        )?;
        for upload in self.uploads.iter().filter(|u| u.uploaded) {
            writeln!(f, "  uploaded {} as {}", upload.function, upload.key)?;
        }
        match &self.insights_layer {
            Some(layer) => writeln!(f, "  insights layer: {layer}")?,
            None => writeln!(f, "  insights layer: none")?,
        }
        if let Some(deployed) = &self.deployed {
            write!(f, "{deployed}")?;
        }
        for note in &self.notes {
            writeln!(f, "{note}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_is_the_same_words_in_json_and_text() {
        for (outcome, words) in [
            (Outcome::UpToDate, "up to date"),
            (Outcome::Created, "created"),
            (Outcome::Updated, "updated"),
            (Outcome::DryRun, "dry run: nothing changed"),
        ] {
            assert_eq!(serde_json::to_value(outcome).unwrap(), words);
            assert_eq!(outcome.to_string(), words);
        }
    }
}
