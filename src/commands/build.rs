//! `demo build`: cross-compile the functions and print where their zips are.

use std::fmt;
use std::path::Path;

use serde::Serialize;

use crate::artifacts::{self, Artifact, BuildRequest};
use crate::error::CliError;
use crate::output;
use crate::settings::{BuildSettings, Settings};

/// What `demo build` prints.
#[derive(Debug, Serialize)]
struct BuildReport {
    pub(crate) artifacts: Vec<Artifact>,
}

pub(crate) async fn run(settings: &Settings, args: BuildSettings) -> Result<(), CliError> {
    let artifacts = artifacts::build(BuildRequest {
        arch: args.arch,
        cargo_verbosity: settings.cargo_verbosity(),
    })
    .await?;
    Ok(output::emit(settings.output, &BuildReport { artifacts })?)
}

impl fmt::Display for BuildReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cwd = std::env::current_dir().unwrap_or_default();
        let rows: Vec<[String; 5]> = self
            .artifacts
            .iter()
            .map(|a| {
                [
                    a.function.clone(),
                    a.arch.to_string(),
                    mebibytes(a.size),
                    a.sha256.clone(),
                    relative_to(&a.path, &cwd),
                ]
            })
            .collect();
        let header = ["function", "arch", "size", "sha256", "path"].map(String::from);
        let mut widths = [0; 5];
        for row in std::iter::once(&header).chain(&rows) {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        for row in std::iter::once(&header).chain(&rows) {
            let line: Vec<String> = row
                .iter()
                .zip(widths)
                .map(|(cell, width)| format!("{cell:<width$}"))
                .collect();
            writeln!(f, "{}", line.join("  ").trim_end())?;
        }
        Ok(())
    }
}

fn mebibytes(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn relative_to(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::Arch;

    #[test]
    fn text_report_is_an_aligned_table() {
        let report = BuildReport {
            artifacts: vec![Artifact {
                function: "put-record".into(),
                arch: Arch::Arm64,
                path: "/nowhere/target/lambda/arm64/put-record/bootstrap.zip".into(),
                size: 5_138_022,
                sha256: "ab".repeat(32),
            }],
        };
        let text = report.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("function    arch   size     sha256"));
        assert!(lines[1].starts_with("put-record  arm64  4.9 MiB  abab"));
        assert!(lines[1].ends_with("/nowhere/target/lambda/arm64/put-record/bootstrap.zip"));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["artifacts"][0]["arch"], "arm64");
        assert_eq!(json["artifacts"][0]["size"], 5_138_022);
    }
}
