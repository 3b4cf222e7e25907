//! `demo doctor`'s findings: whether `up` would work in this account and region, one check per
//! line with what was found and, for a problem, the fix. Read-only: every check asks, none
//! writes. The checks use the same functions `up` runs before it writes anything.

mod checks;

use std::fmt;

use serde::Serialize;

pub(crate) use checks::run;

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Status {
    /// Fine as it is.
    Pass,
    /// Fine for `up`, with something worth knowing (a choice made for you, a check that could
    /// not be made).
    Note,
    /// `up` would fail here.
    Fail,
}

/// One check: what was looked at, what was found, and the fix when it is a problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Check {
    pub(crate) check: &'static str,
    pub(crate) status: Status,
    pub(crate) detail: String,
    pub(crate) fix: Option<String>,
}

impl Check {
    pub(crate) fn pass(check: &'static str, detail: impl Into<String>) -> Self {
        Check {
            check,
            status: Status::Pass,
            detail: detail.into(),
            fix: None,
        }
    }

    pub(crate) fn note(check: &'static str, detail: impl Into<String>) -> Self {
        Check {
            status: Status::Note,
            ..Check::pass(check, detail)
        }
    }

    pub(crate) fn fail(
        check: &'static str,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Check {
            check,
            status: Status::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Every check, and whether `up` would get through them all.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DoctorReport {
    pub(crate) stack: String,
    pub(crate) region: Option<String>,
    /// True when no check failed: `up` would get past what `doctor` can see.
    pub(crate) ready: bool,
    pub(crate) checks: Vec<Check>,
}

impl DoctorReport {
    pub(crate) fn new(stack: &str, region: Option<String>, checks: Vec<Check>) -> Self {
        DoctorReport {
            stack: stack.to_owned(),
            region,
            ready: checks.iter().all(|c| c.status != Status::Fail),
            checks,
        }
    }

    pub(crate) fn failed(&self) -> usize {
        self.checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .count()
    }
}

impl fmt::Display for DoctorReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.checks.iter().map(|c| c.check.len()).max().unwrap_or(0);
        for check in &self.checks {
            let mark = match check.status {
                Status::Pass => "✓",
                Status::Note => "✓",
                Status::Fail => "✗",
            };
            writeln!(f, "{mark} {:<width$}  {}", check.check, check.detail)?;
            if let Some(fix) = &check.fix {
                writeln!(f, "  {:<width$}  fix: {fix}", "")?;
            }
        }
        let region = self.region.as_deref().unwrap_or("(no region)");
        match self.failed() {
            0 => writeln!(
                f,
                "`demo up` should work for stack {} in {region}",
                self.stack
            ),
            n => writeln!(
                f,
                "`demo up` would fail for stack {} in {region}: {n} problem(s) above",
                self.stack
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_check_a_fix_under_each_problem_and_a_verdict() {
        let report = DoctorReport::new(
            "demo",
            Some("ca-west-1".into()),
            vec![
                Check::pass("identity", "arn:aws:iam::123456789012:user/dev"),
                Check::note("insights", "x86_64: no arm64 layer here"),
                Check::fail(
                    "bucket",
                    "taken by another account",
                    "pass --artifact-bucket NAME",
                ),
            ],
        );
        assert!(!report.ready);
        assert_eq!(
            report.to_string(),
            "✓ identity  arn:aws:iam::123456789012:user/dev\n\
             ✓ insights  x86_64: no arm64 layer here\n\
             ✗ bucket    taken by another account\n\
             \x20           fix: pass --artifact-bucket NAME\n\
             `demo up` would fail for stack demo in ca-west-1: 1 problem(s) above\n"
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["ready"], false);
        assert_eq!(json["checks"][1]["status"], "note");
        assert_eq!(json["checks"][2]["fix"], "pass --artifact-bucket NAME");
        let fine = DoctorReport::new("demo", Some("us-east-1".into()), vec![]);
        assert!(fine.ready);
        assert!(fine.to_string().contains("should work"));
    }
}
