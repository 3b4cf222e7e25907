//! The physical names the template gives the stack's resources, derived from the stack name,
//! so `down` can check for (and remove) stragglers even after the stack itself is gone.

use crate::model::Consumer;

/// Longest stack name: role names are `<stack>-put-item-1-<region>` and IAM allows 64 characters.
pub(crate) const MAX_STACK_NAME: usize = 38;

/// The producer function's role in the stack (the consumers': `Consumer::function`).
pub(crate) const PRODUCER: &str = "put-record";
/// Every function of the stack.
pub(crate) const FUNCTIONS: [&str; 3] =
    [PRODUCER, Consumer::One.function(), Consumer::Two.function()];

/// Logical ids of the template's resources whose physical names CloudFormation chooses.
pub(crate) mod logical {
    use crate::model::Consumer;

    /// Each function's role (as the commands name it) and logical id.
    pub(crate) const FUNCTIONS: [(&str, &str); 3] = [
        (super::PRODUCER, "PutRecordFunction"),
        (Consumer::One.function(), "PutItem1Function"),
        (Consumer::Two.function(), "PutItem2Function"),
    ];
    /// The tables of consumer 1 and consumer 2.
    pub(crate) const TABLES: [&str; 2] = ["OrderTable1", "OrderTable2"];
    /// The queue both mappings send given-up batches to.
    pub(crate) const QUEUE: &str = "OnFailureDestination";
}

/// The names one resource of the stack may have had, over all instances of the stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NamePattern {
    /// CloudFormation's `<prefix><random>`: letters and digits after the prefix.
    Generated(String),
    /// The template's `<prefix><instance>`: the 8 hex digits that start the stack id's UUID.
    Instance(String),
}

impl NamePattern {
    /// What every matching name starts with (for the services' prefix filters).
    pub(crate) fn prefix(&self) -> &str {
        match self {
            NamePattern::Generated(prefix) | NamePattern::Instance(prefix) => prefix,
        }
    }

    /// Whether `name` is one this pattern makes (a longer stack name sharing the prefix is not).
    pub(crate) fn matches(&self, name: &str) -> bool {
        let Some(rest) = name.strip_prefix(self.prefix()) else {
            return false;
        };
        match self {
            NamePattern::Generated(_) => {
                !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric())
            }
            NamePattern::Instance(_) => {
                rest.len() == 8 && rest.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            }
        }
    }
}

impl std::fmt::Display for NamePattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NamePattern::Generated(prefix) => write!(f, "{prefix}<random>"),
            NamePattern::Instance(prefix) => write!(f, "{prefix}<stack instance>"),
        }
    }
}

/// Names of everything the stack (and `up`) creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StackNames {
    pub(crate) stack: String,
    pub(crate) region: String,
}

impl StackNames {
    pub(crate) fn new(stack: &str, region: &str) -> Self {
        StackNames {
            stack: stack.to_owned(),
            region: region.to_owned(),
        }
    }

    pub(crate) fn api(&self) -> String {
        format!("{}-api", self.stack)
    }

    pub(crate) fn stream(&self) -> String {
        format!("{}-orders", self.stack)
    }

    /// The on-failure queue, named by CloudFormation `<stack>-OnFailureDestination-<random>`.
    pub(crate) fn queue(&self) -> NamePattern {
        self.generated(logical::QUEUE)
    }

    /// The tables, named by CloudFormation `<stack>-OrderTableN-<random>`.
    pub(crate) fn tables(&self) -> [NamePattern; 2] {
        logical::TABLES.map(|table| self.generated(table))
    }

    fn generated(&self, logical_id: &str) -> NamePattern {
        NamePattern::Generated(format!("{}-{logical_id}-", self.stack))
    }

    pub(crate) fn function(&self, function: &str) -> String {
        format!("{}-{function}", self.stack)
    }

    pub(crate) fn functions(&self) -> Vec<String> {
        FUNCTIONS.iter().map(|f| self.function(f)).collect()
    }

    /// The CloudWatch dashboard (`DashboardName` in the template).
    pub(crate) fn dashboard(&self) -> String {
        format!("{}-batching", self.stack)
    }

    /// The alarm on records given up (`AlarmName` in the template).
    pub(crate) fn alarm(&self) -> String {
        format!("{}-records-given-up", self.stack)
    }

    /// A function's log group, `/aws/lambda/<stack>-<function>-<instance>`, where the instance
    /// is the first part of the stack id's UUID.
    pub(crate) fn log_group(&self, function: &str) -> NamePattern {
        NamePattern::Instance(format!("/aws/lambda/{}-", self.function(function)))
    }

    pub(crate) fn role(&self, function: &str) -> String {
        format!("{}-{function}-{}", self.stack, self.region)
    }

    /// The artifact bucket `up` creates: readable when it fits S3's 63 characters, otherwise
    /// the stack name and a digest of account and region.
    pub(crate) fn bucket(&self, account: &str) -> String {
        let stack = self.stack.to_lowercase();
        let readable = format!("{stack}-artifacts-{account}-{}", self.region);
        if readable.len() <= 63 {
            return readable;
        }
        let digest = crate::artifacts::sha256_hex(format!("{account}/{}", self.region).as_bytes());
        format!("{stack}-artifacts-{}", &digest[..12])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_template() {
        let names = StackNames::new("demo", "ap-southeast-2");
        assert_eq!(names.stream(), "demo-orders");
        assert_eq!(names.tables()[1].prefix(), "demo-OrderTable2-");
        assert_eq!(names.queue().prefix(), "demo-OnFailureDestination-");
        assert_eq!(
            names.log_group("put-item-2").prefix(),
            "/aws/lambda/demo-put-item-2-"
        );
        assert_eq!(names.role("put-record"), "demo-put-record-ap-southeast-2");
        assert_eq!(names.dashboard(), "demo-batching");
        assert_eq!(
            names.bucket("123456789012"),
            "demo-artifacts-123456789012-ap-southeast-2"
        );
    }

    #[test]
    fn patterns_match_only_the_names_the_stack_makes() {
        let names = StackNames::new("demo", "ap-southeast-2");
        let table = &names.tables()[0];
        // As CloudFormation names them on AWS, and as moto does.
        assert!(table.matches("demo-OrderTable1-1X2Y3Z4W5V6U7"));
        assert!(table.matches("demo-OrderTable1-LNXWKD103VOL"));
        for other in [
            "demo-OrderTable1-",
            "demo-OrderTable1-Table-X1",
            "demo-OrderTable2-LNXWKD103VOL",
            "demo-table-1",
            "Demo-OrderTable1-LNXWKD103VOL",
        ] {
            assert!(!table.matches(other), "{other}");
        }
        let logs = names.log_group("put-record");
        assert!(logs.matches("/aws/lambda/demo-put-record-56506aab"));
        for other in [
            "/aws/lambda/demo-put-record",
            "/aws/lambda/demo-put-record-56506AAB",
            "/aws/lambda/demo-put-record-56506aab9",
            "/aws/lambda/demo-put-record-x-56506aab",
        ] {
            assert!(!logs.matches(other), "{other}");
        }
        assert_eq!(
            logs.to_string(),
            "/aws/lambda/demo-put-record-<stack instance>"
        );
    }

    #[test]
    fn every_name_fits_aws_limits_for_the_longest_stack_name() {
        let stack = format!("D{}", "x".repeat(MAX_STACK_NAME - 1));
        let names = StackNames::new(&stack, "ap-southeast-5");
        for function in FUNCTIONS {
            assert!(names.role(function).len() <= 64, "{}", names.role(function));
            assert!(names.function(function).len() <= 64);
        }
        let bucket = names.bucket("123456789012");
        assert!(bucket.len() <= 63, "{bucket}");
        assert_eq!(bucket, bucket.to_lowercase());
    }
}
