//! The account's Kinesis shard quota in the region (`DescribeLimits`), against the shards an `up`
//! would add: CloudFormation cannot create or reshard the stream past it, and fails halfway.

use aws_sdk_kinesis::error::DisplayErrorContext;

use crate::model::template::ParameterError;

/// Shards the account may have open in the region, and how many are open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ShardQuota {
    pub(crate) limit: i32,
    pub(crate) open: i32,
}

impl ShardQuota {
    /// Shards still free.
    pub(crate) fn free(self) -> u32 {
        u32::try_from(self.limit.saturating_sub(self.open)).unwrap_or(0)
    }
}

/// The quota, or None when the endpoint cannot tell (no permission, an emulator without it):
/// then nothing is checked, and `-v` says why.
pub(crate) async fn shard_quota(kinesis: &aws_sdk_kinesis::Client) -> Option<ShardQuota> {
    match kinesis.describe_limits().send().await {
        Ok(limits) => Some(ShardQuota {
            limit: limits.shard_limit(),
            open: limits.open_shard_count(),
        }),
        Err(err) => {
            tracing::debug!(
                error = %DisplayErrorContext(&err),
                "Kinesis DescribeLimits is not available: the shard quota is unknown and not checked"
            );
            None
        }
    }
}

/// Whether going from `current` shards (None: no stream yet) to `desired` fits the quota.
pub(crate) fn check_shards(
    quota: ShardQuota,
    current: Option<u32>,
    desired: u32,
) -> Result<(), ParameterError> {
    let from = current.unwrap_or(0);
    let added = desired.saturating_sub(from);
    let free = quota.free();
    if added <= free {
        return Ok(());
    }
    Err(ParameterError {
        flag: "--shards".into(),
        value: desired.to_string(),
        rule: format!(
            "the stream would take {added} more shard(s), and the account has {free} of its {} \
             left in this region (Kinesis DescribeLimits: {} open): use `--shards {}`, delete \
             streams you no longer need, or request more in Service Quotas (Kinesis Data \
             Streams, \"Shard count per Region\")",
            quota.limit,
            quota.open,
            from + free
        ),
    })
}

#[cfg(test)]
mod tests {
    use aws_smithy_mocks::mock;

    use super::*;
    use crate::aws::replay;

    #[test]
    fn only_the_shards_added_count_against_what_is_free() {
        let quota = ShardQuota {
            limit: 200,
            open: 198,
        };
        assert_eq!(check_shards(quota, None, 2), Ok(()));
        assert_eq!(check_shards(quota, Some(4), 6), Ok(()));
        assert_eq!(check_shards(quota, Some(8), 4), Ok(()), "fewer shards");
        let refused = check_shards(quota, None, 3).unwrap_err();
        assert_eq!(
            (refused.flag.as_str(), refused.value.as_str()),
            ("--shards", "3")
        );
        let text = refused.to_string();
        for part in [
            "3 more shard(s)",
            "2 of its 200 left",
            "198 open",
            "`--shards 2`",
            "Service Quotas",
        ] {
            assert!(text.contains(part), "{part}: {text}");
        }
    }

    /// DescribeLimits as Kinesis answers it (awsJson 1.1), and a caller without the permission.
    #[tokio::test]
    async fn the_quota_is_read_from_describe_limits_and_unknown_without_it() {
        let answered = mock!(aws_sdk_kinesis::Client::describe_limits).then_http_response(|| {
            replay::answer(
                200,
                "application/x-amz-json-1.1",
                r#"{"ShardLimit":500,"OpenShardCount":12,"OnDemandStreamCount":0,"OnDemandStreamCountLimit":50}"#,
            )
        });
        let kinesis = replay::kinesis("us-east-1", &[&answered]);
        assert_eq!(
            shard_quota(&kinesis).await,
            Some(ShardQuota {
                limit: 500,
                open: 12
            })
        );
        let denied = mock!(aws_sdk_kinesis::Client::describe_limits).then_http_response(|| {
            replay::answer(
                400,
                "application/x-amz-json-1.1",
                r#"{"__type":"AccessDeniedException","message":"User: arn:aws:iam::123456789012:user/dev is not authorized to perform: kinesis:DescribeLimits"}"#,
            )
        });
        let kinesis = replay::kinesis("us-east-1", &[&denied]);
        assert_eq!(shard_quota(&kinesis).await, None);
    }
}
