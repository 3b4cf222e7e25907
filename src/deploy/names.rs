//! The physical names the template gives the stack's resources, derived from the stack name,
//! so `down` can check for (and remove) stragglers even after the stack itself is gone.

/// Longest stack name: role names are `<stack>-put-item-1-<region>` and IAM allows 64 characters.
pub const MAX_STACK_NAME: usize = 38;

/// The consumer functions, in order: consumer 1 (100 / 30 s by default) and consumer 2.
pub const CONSUMERS: [&str; 2] = ["put-item-1", "put-item-2"];
/// Every function of the stack.
pub const FUNCTIONS: [&str; 3] = ["put-record", "put-item-1", "put-item-2"];

/// Names of everything the stack (and `up`) creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackNames {
    pub stack: String,
    pub region: String,
}

impl StackNames {
    pub fn new(stack: &str, region: &str) -> Self {
        StackNames {
            stack: stack.to_owned(),
            region: region.to_owned(),
        }
    }

    pub fn api(&self) -> String {
        format!("{}-api", self.stack)
    }

    pub fn stream(&self) -> String {
        format!("{}-orders", self.stack)
    }

    pub fn queue(&self) -> String {
        format!("{}-on-failure", self.stack)
    }

    /// Table of consumer 1 or 2.
    pub fn table(&self, consumer: usize) -> String {
        format!("{}-table-{consumer}", self.stack)
    }

    pub fn tables(&self) -> [String; 2] {
        [self.table(1), self.table(2)]
    }

    pub fn function(&self, function: &str) -> String {
        format!("{}-{function}", self.stack)
    }

    pub fn functions(&self) -> Vec<String> {
        FUNCTIONS.iter().map(|f| self.function(f)).collect()
    }

    /// The CloudWatch dashboard (`DashboardName` in the template).
    pub fn dashboard(&self) -> String {
        format!("{}-batching", self.stack)
    }

    /// The alarm on records given up (`AlarmName` in the template).
    pub fn alarm(&self) -> String {
        format!("{}-records-given-up", self.stack)
    }

    pub fn log_group(&self, function: &str) -> String {
        format!("/aws/lambda/{}", self.function(function))
    }

    pub fn role(&self, function: &str) -> String {
        format!("{}-{function}-{}", self.stack, self.region)
    }

    /// The artifact bucket `up` creates: readable when it fits S3's 63 characters, otherwise
    /// the stack name and a digest of account and region.
    pub fn bucket(&self, account: &str) -> String {
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
        assert_eq!(names.tables(), ["demo-table-1", "demo-table-2"]);
        assert_eq!(names.log_group("put-item-2"), "/aws/lambda/demo-put-item-2");
        assert_eq!(names.role("put-record"), "demo-put-record-ap-southeast-2");
        assert_eq!(names.dashboard(), "demo-batching");
        assert_eq!(
            names.bucket("123456789012"),
            "demo-artifacts-123456789012-ap-southeast-2"
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
