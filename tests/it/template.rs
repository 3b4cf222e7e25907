//! Structural checks of `templates/stack.yaml`: the security and wiring properties that
//! cfn-lint cannot know about (least privilege, the batching parameters, the stage on the
//! Deployment, names the tool can find again), read from the YAML itself.
//!
//! serde_yaml 0.9 keeps CloudFormation short tags (`!Ref`, `!Sub`, `!GetAtt`, `!If`) as
//! `Value::Tagged`; [`intrinsic`] reads them and their long forms (`Ref`, `Fn::Sub`) alike.

use serde_yaml::Value;

/// CloudFormation's limit for a template body passed inline (`TemplateBody`).
const TEMPLATE_BODY_LIMIT: usize = 51_200;
/// The longest stack name the tool accepts: the role "<stack>-put-item-1-<region>" must fit
/// IAM's 64 characters with a 14-character region such as ap-southeast-2.
const MAX_STACK_NAME_LEN: usize = 38;
const LONGEST_REGION: &str = "ap-southeast-2";

fn template_text() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/templates/stack.yaml");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn template() -> Value {
    serde_yaml::from_str(&template_text())
        .unwrap_or_else(|e| panic!("templates/stack.yaml is not valid YAML: {e}"))
}

/// serde_yaml 0.9's accessors (`get`, `as_str`, `as_sequence`…) look through tags, so
/// `!Sub "*"` would read as the string "*". These see only untagged values.
fn lit(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        _ => None,
    }
}

fn seq(v: &Value) -> Option<&[Value]> {
    match v {
        Value::Sequence(items) => Some(items),
        _ => None,
    }
}

fn field<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Mapping(m) => m.get(key),
        _ => None,
    }
}

fn flag(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

/// An intrinsic function call, short or long form: `("Ref", arg)`, `("Sub", arg)`,
/// `("GetAtt", arg)`, `("If", arg)`…
fn intrinsic(v: &Value) -> Option<(String, &Value)> {
    match v {
        Value::Tagged(t) => Some((
            t.tag.to_string().trim_start_matches('!').to_owned(),
            &t.value,
        )),
        Value::Mapping(m) if m.len() == 1 => {
            let (k, arg) = m.iter().next()?;
            let k = lit(k)?;
            match k {
                "Ref" => Some(("Ref".to_owned(), arg)),
                _ => k.strip_prefix("Fn::").map(|f| (f.to_owned(), arg)),
            }
        }
        _ => None,
    }
}

/// The argument of `!<name> arg`, if `v` is that intrinsic.
fn call<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    intrinsic(v).filter(|(f, _)| f == name).map(|(_, arg)| arg)
}

/// The target of `!Ref X`.
fn ref_target(v: &Value) -> Option<&str> {
    lit(call(v, "Ref")?)
}

/// The logical id of `!GetAtt X.Attr` (or the list form `[X, Attr]`) and the attribute.
fn getatt(v: &Value) -> Option<(String, String)> {
    match call(v, "GetAtt")? {
        Value::String(s) => {
            let (id, attr) = s.split_once('.')?;
            Some((id.to_owned(), attr.to_owned()))
        }
        Value::Sequence(parts) if parts.len() == 2 => {
            Some((lit(&parts[0])?.to_owned(), lit(&parts[1])?.to_owned()))
        }
        _ => None,
    }
}

/// The string of `!Sub "…"` (or of the list form `[string, variables]`).
fn sub_string(v: &Value) -> Option<&str> {
    match call(v, "Sub")? {
        Value::String(s) => Some(s),
        Value::Sequence(parts) => lit(parts.first()?),
        _ => None,
    }
}

fn resources(t: &Value) -> &serde_yaml::Mapping {
    match field(t, "Resources") {
        Some(Value::Mapping(m)) => m,
        _ => panic!("the template has no Resources mapping"),
    }
}

/// `(logical id, resource)` of every resource of the given type, in template order.
fn of_type<'a>(t: &'a Value, ty: &str) -> Vec<(&'a str, &'a Value)> {
    resources(t)
        .iter()
        .filter(|(_, r)| field(r, "Type").and_then(lit) == Some(ty))
        .map(|(id, r)| (lit(id).expect("resource logical ids are strings"), r))
        .collect()
}

fn resource<'a>(t: &'a Value, id: &str) -> &'a Value {
    resources(t)
        .get(id)
        .unwrap_or_else(|| panic!("resource {id} is referenced but not declared"))
}

fn resource_type<'a>(t: &'a Value, id: &str) -> &'a str {
    field(resource(t, id), "Type")
        .and_then(lit)
        .unwrap_or_else(|| panic!("resource {id} has no Type"))
}

fn prop<'a>(r: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(field(r, "Properties")?, |v, key| field(v, key))
}

fn parameter<'a>(t: &'a Value, name: &str) -> &'a Value {
    field(t, "Parameters")
        .and_then(|p| field(p, name))
        .unwrap_or_else(|| panic!("parameter {name} is referenced but not declared"))
}

/// A number, whether YAML wrote it as a number or a string.
fn number(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn parameter_number(t: &Value, name: &str, key: &str) -> i64 {
    field(parameter(t, name), key)
        .and_then(number)
        .unwrap_or_else(|| panic!("parameter {name} has no numeric {key}"))
}

/// Every value in the document, depth first (into tagged values too).
fn walk<'a>(v: &'a Value, visit: &mut dyn FnMut(&'a Value)) {
    visit(v);
    match v {
        Value::Sequence(items) => items.iter().for_each(|i| walk(i, visit)),
        Value::Mapping(m) => m.iter().for_each(|(k, val)| {
            walk(k, visit);
            walk(val, visit);
        }),
        Value::Tagged(t) => walk(&t.value, visit),
        _ => {}
    }
}

/// A value or list of values as a list; `!If [c, a, b]` contributes both branches.
fn one_or_many(v: &Value) -> Vec<&Value> {
    if let Some(Value::Sequence(args)) = call(v, "If") {
        return args.iter().skip(1).flat_map(one_or_many).collect();
    }
    match v {
        Value::Sequence(items) => items.iter().flat_map(one_or_many).collect(),
        _ => vec![v],
    }
}

fn is_no_value(v: &Value) -> bool {
    ref_target(v) == Some("AWS::NoValue")
}

/// Every IAM statement of every policy document in the template, with where it is.
fn statements(t: &Value) -> Vec<(String, &Value)> {
    let mut found = Vec::new();
    for (id, r) in resources(t) {
        let id = lit(id).unwrap_or("?");
        walk(r, &mut |v| {
            if let Some(doc) = field(v, "PolicyDocument") {
                let sts = field(doc, "Statement")
                    .unwrap_or_else(|| panic!("a policy document of {id} has no Statement"));
                for st in one_or_many(sts).into_iter().filter(|s| !is_no_value(s)) {
                    let sid = field(st, "Sid").and_then(lit).unwrap_or("(no Sid)");
                    found.push((format!("{id}/{sid}"), st));
                }
            }
        });
    }
    found
}

fn actions(st: &Value) -> Vec<&str> {
    field(st, "Action")
        .map(one_or_many)
        .unwrap_or_default()
        .into_iter()
        .filter_map(lit)
        .collect()
}

/// The `!Sub` strings of the statements (inline in `role`, or in the policies attached to
/// it) that allow `action`; a literal resource is returned as is.
fn resources_allowing(t: &Value, role: &str, action: &str) -> Vec<String> {
    let mut out = Vec::new();
    let attached = of_type(t, "AWS::IAM::Policy")
        .into_iter()
        .filter(|(_, policy)| {
            prop(policy, &["Roles"])
                .map(one_or_many)
                .unwrap_or_default()
                .iter()
                .any(|r| ref_target(r) == Some(role))
        })
        .map(|(id, _)| id);
    for holder in std::iter::once(role).chain(attached) {
        for (at, st) in statements(t) {
            if !at.starts_with(&format!("{holder}/")) || !actions(st).contains(&action) {
                continue;
            }
            for res in field(st, "Resource").map(one_or_many).unwrap_or_default() {
                let text = sub_string(res)
                    .map(str::to_owned)
                    .or_else(|| getatt(res).map(|(id, attr)| format!("GetAtt {id}.{attr}")))
                    .or_else(|| lit(res).map(str::to_owned))
                    .unwrap_or_else(|| format!("{res:?}"));
                out.push(text);
            }
        }
    }
    out
}

#[test]
fn template_body_fits_inline() {
    let size = template_text().len();
    assert!(
        size < TEMPLATE_BODY_LIMIT,
        "templates/stack.yaml is {size} bytes; CloudFormation takes at most \
         {TEMPLATE_BODY_LIMIT} inline, and the tool passes the body inline"
    );
}

#[test]
fn no_managed_policies_anywhere() {
    let t = template();
    walk(&t, &mut |v| {
        if let Value::Mapping(m) = v {
            assert!(
                !m.contains_key("ManagedPolicyArns"),
                "the template uses ManagedPolicyArns: grant permissions as inline, \
                 least-privilege statements instead (moto ignores managed policies, \
                 and the AWS ones grant Resource \"*\")"
            );
        }
    });
    let managed = of_type(&t, "AWS::IAM::ManagedPolicy");
    assert!(managed.is_empty(), "managed policies declared: {managed:?}");
}

/// Each function's own statements are inline in its role, so the function (and its mapping)
/// cannot be created before them; only the conditional Insights policy stands apart, and no
/// Policies entry is conditional (moto 5.2.5 fails the change set on one).
#[test]
fn function_statements_are_inline_in_their_roles_and_grant_only_what_the_code_calls() {
    let t = template();
    for (id, f) in of_type(&t, "AWS::Lambda::Function") {
        let (role, _) = prop(f, &["Role"]).and_then(getatt).unwrap();
        let policies = prop(resource(&t, &role), &["Policies"])
            .and_then(seq)
            .unwrap_or_else(|| panic!("{id}: role {role} has no inline Policies"));
        assert_eq!(policies.len(), 1, "{role}: one inline policy");
        assert!(
            intrinsic(&policies[0]).is_none(),
            "{role}: a conditional Policies entry fails the change set in moto"
        );
        let name = field(&policies[0], "PolicyName").and_then(lit).unwrap();
        assert!(name.ends_with("-resources"), "{role}: policy {name}");
        let depends = field(f, "DependsOn").map(one_or_many).unwrap_or_default();
        assert!(
            depends
                .iter()
                .all(|d| lit(d).is_some_and(|d| !d.ends_with("Policy"))),
            "{id}: needs no DependsOn on a policy once the statements are in its role"
        );
    }
    let policies = of_type(&t, "AWS::IAM::Policy");
    let ids: Vec<&str> = policies.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, ["InsightsPolicy"], "only Insights stands apart");
    assert_eq!(
        field(policies[0].1, "Condition").and_then(lit),
        Some("HasInsights")
    );
    let granted: Vec<&str> = statements(&t)
        .iter()
        .flat_map(|(_, st)| actions(st))
        .collect();
    for action in ["kinesis:PutRecord", "dynamodb:BatchWriteItem"] {
        assert!(granted.contains(&action), "{action} is needed by the code");
    }
    for unused in ["kinesis:PutRecords", "dynamodb:PutItem"] {
        assert!(
            !granted.contains(&unused),
            "{unused} is granted but no function calls it"
        );
    }
}

/// Actions IAM cannot scope to a resource: X-Ray's two, and kinesis:ListStreams (which Lambda
/// checks when it creates a Kinesis mapping).
const UNSCOPABLE: [&str; 3] = [
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "kinesis:ListStreams",
];

#[test]
fn only_actions_without_resource_permissions_use_a_wildcard_resource() {
    let t = template();
    let sts = statements(&t);
    assert!(
        sts.len() >= 4,
        "expected the roles' IAM statements, found {}",
        sts.len()
    );
    for (at, st) in &sts {
        assert_eq!(
            field(st, "Effect").and_then(lit),
            Some("Allow"),
            "{at}: every statement should be an explicit Allow"
        );
        for key in ["NotAction", "NotResource"] {
            assert!(
                field(st, key).is_none(),
                "{at}: {key} grants by exclusion; list what is needed"
            );
        }
        let acts = actions(st);
        assert!(!acts.is_empty(), "{at}: statement has no Action");
        for a in &acts {
            assert!(
                !a.contains('*'),
                "{at}: action {a} is a wildcard; name the actions"
            );
        }
        let resources = field(st, "Resource").map(one_or_many).unwrap_or_default();
        assert!(!resources.is_empty(), "{at}: statement has no Resource");
        for res in resources {
            if lit(res) == Some("*") {
                assert!(
                    acts.iter().all(|a| UNSCOPABLE.contains(a)),
                    "{at}: Resource \"*\" is only allowed for {UNSCOPABLE:?}, but it grants {acts:?}"
                );
            } else if let Some(s) = lit(res) {
                panic!("{at}: literal Resource {s:?}; derive it from the stack's own resources");
            } else if let Some(s) = sub_string(res) {
                assert!(
                    (s.contains("${AWS::AccountId}") && s.contains("${AWS::Region}"))
                        || s.starts_with("${Stream.Arn}/"),
                    "{at}: Resource {s:?} should be scoped to this account and region"
                );
            } else {
                assert!(
                    getatt(res).is_some() || ref_target(res).is_some(),
                    "{at}: Resource {res:?} is neither \"*\", !Sub, !GetAtt nor !Ref"
                );
            }
        }
    }
    assert!(
        sts.iter()
            .any(|(_, st)| actions(st).contains(&"xray:PutTraceSegments")),
        "no statement grants xray:PutTraceSegments, yet tracing is Active"
    );
}

#[test]
fn functions_are_rust_on_al2023_traced_with_optional_insights_and_own_log_group() {
    let t = template();
    let functions = of_type(&t, "AWS::Lambda::Function");
    assert_eq!(
        functions.len(),
        3,
        "expected put-record, put-item-1 and put-item-2"
    );
    let mut log_groups = Vec::new();
    let mut roles = Vec::new();
    for (id, f) in functions {
        let p = |path: &[&str]| prop(f, path);
        assert_eq!(
            p(&["Runtime"]).and_then(lit),
            Some("provided.al2023"),
            "{id}: Runtime should be provided.al2023 (Rust, OS-only runtime)"
        );
        assert_eq!(
            p(&["Handler"]).and_then(lit),
            Some("bootstrap"),
            "{id}: Handler should be bootstrap, the executable in the zip"
        );
        assert_eq!(
            p(&["TracingConfig", "Mode"]).and_then(lit),
            Some("Active"),
            "{id}: X-Ray tracing should be Active"
        );
        let archs = p(&["Architectures"]).and_then(seq);
        assert!(
            archs.is_some_and(|a| a.len() == 1 && ref_target(&a[0]) == Some("Architecture")),
            "{id}: Architectures should be [!Ref Architecture]"
        );
        assert_eq!(
            p(&["MemorySize"]).and_then(ref_target),
            Some("MemorySize"),
            "{id}: MemorySize should !Ref the MemorySize parameter"
        );
        assert_insights_layer(id, p(&["Layers"]));

        let name = p(&["FunctionName"])
            .and_then(sub_string)
            .unwrap_or_else(|| panic!("{id}: FunctionName should be a !Sub with the stack name"));
        let group = p(&["LoggingConfig", "LogGroup"])
            .and_then(ref_target)
            .unwrap_or_else(|| panic!("{id}: LoggingConfig.LogGroup should !Ref its log group"));
        assert_eq!(
            resource_type(&t, group),
            "AWS::Logs::LogGroup",
            "{id}: LoggingConfig.LogGroup"
        );
        let group_name = prop(resource(&t, group), &["LogGroupName"]).and_then(sub_string);
        assert_eq!(
            group_name,
            Some(format!("/aws/lambda/{name}-${{Instance}}").as_str()),
            "{id}: its log group {group} should be /aws/lambda/<function name>-<stack instance>"
        );
        assert_stack_instance(group, prop(resource(&t, group), &["LogGroupName"]));
        assert!(
            prop(resource(&t, group), &["RetentionInDays"]).is_some(),
            "{id}: log group {group} has no RetentionInDays"
        );

        let (role, _) = p(&["Role"])
            .and_then(getatt)
            .unwrap_or_else(|| panic!("{id}: Role should be !GetAtt <its role>.Arn"));
        let writes = resources_allowing(&t, &role, "logs:PutLogEvents");
        assert!(
            writes
                .iter()
                .any(|r| r.contains(&format!("log-group:${{{group}}}:*"))),
            "{id}: role {role} should allow logs:PutLogEvents on its own log group {group}, \
             found only {writes:?}"
        );
        log_groups.push(group.to_owned());
        roles.push(role);
    }
    for (what, mut list) in [("log group", log_groups), ("role", roles)] {
        let n = list.len();
        list.sort();
        list.dedup();
        assert_eq!(
            list.len(),
            n,
            "every function should have its own {what}: {list:?}"
        );
    }
}

/// `!Sub [string, {Instance: the first part of the stack id's UUID}]`: unique per stack
/// instance, so a group an earlier instance left (or Lambda made again) never blocks a create.
fn assert_stack_instance(id: &str, name: Option<&Value>) {
    let parts = name
        .and_then(|n| call(n, "Sub"))
        .and_then(seq)
        .unwrap_or_else(|| panic!("{id}: the name should be !Sub [string, variables]"));
    let instance = field(&parts[1], "Instance").unwrap_or_else(|| panic!("{id}: no Instance"));
    // !Select [0, !Split ["-", !Select [2, !Split ["/", !Ref AWS::StackId]]]]
    let pick = |v: &Value, index: i64, separator: &str| -> Option<Value> {
        let select = call(v, "Select").and_then(seq)?;
        (number(&select[0]) == Some(index)).then_some(())?;
        let split = call(&select[1], "Split").and_then(seq)?;
        (lit(&split[0]) == Some(separator)).then(|| split[1].clone())
    };
    let uuid = pick(instance, 0, "-");
    let stack_id = uuid.as_ref().and_then(|u| pick(u, 2, "/"));
    assert_eq!(
        stack_id.as_ref().and_then(ref_target),
        Some("AWS::StackId"),
        "{id}: Instance should be the first part of the stack id's UUID: {instance:?}"
    );
}

/// `Layers: !If [HasInsights, [!Ref InsightsLayerArn], !Ref AWS::NoValue]`, and the
/// condition true exactly when the parameter is non-empty.
fn assert_insights_layer(id: &str, layers: Option<&Value>) {
    let args = layers
        .and_then(|l| call(l, "If"))
        .and_then(seq)
        .unwrap_or_else(|| {
            panic!("{id}: Layers should be !If [HasInsights, …, !Ref AWS::NoValue]")
        });
    assert_eq!(args.len(), 3, "{id}: Layers !If takes three arguments");
    assert_eq!(lit(&args[0]), Some("HasInsights"), "{id}: Layers condition");
    let with = seq(&args[1]);
    assert!(
        with.is_some_and(|l| l.len() == 1 && ref_target(&l[0]) == Some("InsightsLayerArn")),
        "{id}: with Insights, Layers should be [!Ref InsightsLayerArn]"
    );
    assert!(
        is_no_value(&args[2]),
        "{id}: without Insights, Layers should be AWS::NoValue"
    );
}

#[test]
fn insights_is_conditional_on_a_non_empty_layer_parameter() {
    let t = template();
    assert_eq!(
        field(parameter(&t, "InsightsLayerArn"), "Default").and_then(lit),
        Some(""),
        "InsightsLayerArn should default to \"\" (no layer, as against an emulator)"
    );
    let cond = field(&t, "Conditions")
        .and_then(|c| field(c, "HasInsights"))
        .expect("condition HasInsights is not declared");
    let equals = call(cond, "Not")
        .and_then(seq)
        .and_then(|a| a.first())
        .and_then(|e| call(e, "Equals"))
        .and_then(seq)
        .expect("HasInsights should be !Not [!Equals [!Ref InsightsLayerArn, \"\"]]");
    assert!(
        equals
            .iter()
            .any(|v| ref_target(v) == Some("InsightsLayerArn"))
            && equals.iter().any(|v| lit(v) == Some("")),
        "HasInsights should compare InsightsLayerArn with \"\""
    );
    // Every statement touching the Insights log group lives in a HasInsights resource. (Only
    // policy documents count: the dashboard reads that log group, and it stays without the
    // layer, for the panels that do not need it.)
    for (id, r) in resources(&t) {
        let mut mentions = false;
        walk(r, &mut |v| {
            if let Some(doc) = field(v, "PolicyDocument") {
                walk(doc, &mut |v| {
                    mentions |= lit(v).is_some_and(|s| s.contains("/aws/lambda-insights"))
                });
            }
        });
        if mentions {
            assert_eq!(
                field(r, "Condition").and_then(lit),
                Some("HasInsights"),
                "{} grants on /aws/lambda-insights but is not conditional on HasInsights",
                lit(id).unwrap_or("?")
            );
        }
    }
}

/// Lambda checks a Kinesis mapping's role when the mapping is created: each consumer's role
/// grants the actions the Lambda guide lists for a Kinesis event source ("Execution role
/// permissions", the AWSLambdaKinesisExecutionRole list), on this stack's stream, and
/// SendMessage on the on-failure queue; the statements are in the role the function names, so
/// the mapping (which needs the function) cannot come first.
#[test]
fn consumer_roles_grant_what_lambda_checks_for_a_kinesis_mapping() {
    let t = template();
    for (id, m) in of_type(&t, "AWS::Lambda::EventSourceMapping") {
        let (function, _) = prop(m, &["FunctionName"]).and_then(getatt).unwrap();
        let (role, _) = prop(resource(&t, &function), &["Role"])
            .and_then(getatt)
            .unwrap();
        for action in [
            "kinesis:DescribeStream",
            "kinesis:DescribeStreamSummary",
            "kinesis:GetRecords",
            "kinesis:GetShardIterator",
            "kinesis:ListShards",
        ] {
            assert_eq!(
                resources_allowing(&t, &role, action),
                ["GetAtt Stream.Arn"],
                "{id}: {role} should allow {action} on the stream"
            );
        }
        assert_eq!(
            resources_allowing(&t, &role, "kinesis:SubscribeToShard"),
            ["${Stream.Arn}/consumer/*"],
            "{id}: {role}"
        );
        assert_eq!(
            resources_allowing(&t, &role, "kinesis:ListStreams"),
            ["*"],
            "{id}: {role}"
        );
        assert_eq!(
            resources_allowing(&t, &role, "sqs:SendMessage"),
            ["GetAtt OnFailureDestination.Arn"],
            "{id}: {role}"
        );
        assert!(
            prop(resource(&t, &role), &["Policies"]).is_some(),
            "{id}: {role} holds its statements itself"
        );
    }
}

#[test]
fn mappings_are_parameter_driven_and_fail_safely() {
    let t = template();
    let mappings = of_type(&t, "AWS::Lambda::EventSourceMapping");
    assert_eq!(mappings.len(), 2, "expected two event source mappings");
    let mut defaults = Vec::new();
    let mut targets = Vec::new();
    let mut parallelization = Vec::new();
    for (id, m) in mappings {
        let p = |key: &str| prop(m, &[key]);
        assert_eq!(
            p("StartingPosition").and_then(lit),
            Some("TRIM_HORIZON"),
            "{id}: StartingPosition should be TRIM_HORIZON, so no record is skipped"
        );
        let types = p("FunctionResponseTypes")
            .map(one_or_many)
            .unwrap_or_default();
        assert!(
            types
                .iter()
                .any(|v| lit(v) == Some("ReportBatchItemFailures")),
            "{id}: FunctionResponseTypes should include ReportBatchItemFailures"
        );
        assert_eq!(
            p("BisectBatchOnFunctionError").and_then(flag),
            Some(true),
            "{id}: BisectBatchOnFunctionError should be true, to isolate a poison record"
        );
        let (dest, _) = prop(m, &["DestinationConfig", "OnFailure", "Destination"])
            .and_then(getatt)
            .unwrap_or_else(|| {
                panic!("{id}: DestinationConfig.OnFailure.Destination should !GetAtt a queue")
            });
        assert_eq!(
            resource_type(&t, &dest),
            "AWS::SQS::Queue",
            "{id}: on-failure destination"
        );
        let (stream, _) = p("EventSourceArn")
            .and_then(getatt)
            .unwrap_or_else(|| panic!("{id}: EventSourceArn should !GetAtt the stream"));
        assert_eq!(
            resource_type(&t, &stream),
            "AWS::Kinesis::Stream",
            "{id}: event source"
        );
        assert_bounded_retries(&t, id, p("MaximumRetryAttempts"));
        let metrics = prop(m, &["MetricsConfig", "Metrics"])
            .map(one_or_many)
            .unwrap_or_default();
        assert!(
            metrics.iter().any(|v| lit(v) == Some("EventCount")),
            "{id}: MetricsConfig should turn on EventCount (PolledEventCount, records per \
             invocation in the dashboard and `demo report`)"
        );

        let batch = p("BatchSize").and_then(ref_target);
        let window = p("MaximumBatchingWindowInSeconds").and_then(ref_target);
        let (Some(batch), Some(window)) = (batch, window) else {
            panic!("{id}: BatchSize and MaximumBatchingWindowInSeconds should !Ref parameters")
        };
        assert_eq!(
            parameter_number(&t, batch, "MinValue"),
            1,
            "{batch}: AWS's minimum batch"
        );
        assert_eq!(
            parameter_number(&t, batch, "MaxValue"),
            10_000,
            "{batch}: AWS's maximum batch"
        );
        assert_eq!(
            parameter_number(&t, window, "MinValue"),
            0,
            "{window}: AWS's minimum window"
        );
        assert_eq!(
            parameter_number(&t, window, "MaxValue"),
            300,
            "{window}: AWS's maximum window"
        );
        let lanes = p("ParallelizationFactor")
            .and_then(ref_target)
            .unwrap_or_else(|| panic!("{id}: ParallelizationFactor should !Ref a parameter"));
        assert_eq!(
            (
                parameter_number(&t, lanes, "MinValue"),
                parameter_number(&t, lanes, "MaxValue")
            ),
            (1, 10),
            "{lanes}: AWS's range of batches in flight per shard"
        );
        assert_eq!(
            parameter_number(&t, lanes, "Default"),
            1,
            "{lanes}: one batch per shard unless asked, as Lambda's default"
        );
        assert!(
            ![batch, window].contains(&lanes),
            "{id}: its own parallelization parameter"
        );
        parallelization.push(lanes.to_owned());
        let (function, _) = p("FunctionName")
            .and_then(getatt)
            .unwrap_or_else(|| panic!("{id}: FunctionName should !GetAtt its function"));
        assert_eq!(
            resource_type(&t, &function),
            "AWS::Lambda::Function",
            "{id}: target"
        );
        defaults.push((
            parameter_number(&t, batch, "Default"),
            parameter_number(&t, window, "Default"),
        ));
        targets.push(function);
    }
    defaults.sort();
    assert_eq!(
        defaults,
        [(10, 2), (100, 30)],
        "the mappings' default batch size / window should be the original's 100/30 s and 10/2 s"
    );
    assert_ne!(
        targets[0], targets[1],
        "the two mappings should feed two different functions"
    );
    parallelization.sort();
    assert_eq!(
        parallelization,
        ["Parallelization1", "Parallelization2"],
        "each mapping's parallelization is its own parameter, as `up --parallelization-1/-2` set them"
    );
}

fn assert_bounded_retries(t: &Value, id: &str, retries: Option<&Value>) {
    let (min, max) = match retries.and_then(ref_target) {
        Some(param) => (
            parameter_number(t, param, "MinValue"),
            parameter_number(t, param, "MaxValue"),
        ),
        None => {
            let n = retries
                .and_then(number)
                .unwrap_or_else(|| panic!("{id}: MaximumRetryAttempts should be set"));
            (n, n)
        }
    };
    assert!(
        (0..=10_000).contains(&min) && (0..=10_000).contains(&max),
        "{id}: MaximumRetryAttempts should be bounded within 0..=10000 (-1 retries forever and \
         lets one bad record stall a shard), got {min}..={max}"
    );
}

#[test]
fn api_posts_order_to_put_record_on_a_prod_stage_carried_by_the_deployment() {
    let t = template();
    assert!(
        of_type(&t, "AWS::ApiGateway::Stage").is_empty(),
        "declare the stage on the Deployment: moto does not support AWS::ApiGateway::Stage"
    );
    let deployments = of_type(&t, "AWS::ApiGateway::Deployment");
    assert_eq!(deployments.len(), 1, "expected one Deployment");
    let (dep_id, dep) = deployments[0];
    assert_eq!(
        prop(dep, &["StageName"]).and_then(lit),
        Some("prod"),
        "{dep_id}: StageName should be prod (the URL the load generator posts to)"
    );
    assert!(
        prop(dep, &["StageDescription"]).is_some_and(|d| matches!(d, Value::Mapping(_))),
        "{dep_id}: StageDescription should configure the prod stage"
    );

    let posts: Vec<_> = of_type(&t, "AWS::ApiGateway::Method")
        .into_iter()
        .filter(|(_, m)| prop(m, &["HttpMethod"]).and_then(lit) == Some("POST"))
        .collect();
    assert_eq!(posts.len(), 1, "expected one POST method");
    let (post_id, post) = posts[0];
    let depends = field(dep, "DependsOn").map(one_or_many).unwrap_or_default();
    assert!(
        depends.iter().any(|d| lit(d) == Some(post_id)),
        "{dep_id} should DependsOn {post_id}, or it may deploy an API without its method"
    );
    let path_resource = prop(post, &["ResourceId"])
        .and_then(ref_target)
        .unwrap_or_else(|| panic!("{post_id}: ResourceId should !Ref the order resource"));
    assert_eq!(
        prop(resource(&t, path_resource), &["PathPart"]).and_then(lit),
        Some("order"),
        "{post_id}: should be on /order"
    );
    assert_eq!(
        prop(post, &["Integration", "Type"]).and_then(lit),
        Some("AWS_PROXY"),
        "{post_id}: Lambda proxy integration"
    );
    let uri = prop(post, &["Integration", "Uri"])
        .and_then(sub_string)
        .unwrap_or_default();
    assert!(
        uri.contains("${PutRecordFunction.Arn}"),
        "{post_id}: integration should invoke put-record, Uri {uri:?}"
    );

    let permissions = of_type(&t, "AWS::Lambda::Permission");
    assert_eq!(permissions.len(), 1, "expected one invoke permission");
    let (perm_id, perm) = permissions[0];
    assert_eq!(
        prop(perm, &["Principal"]).and_then(lit),
        Some("apigateway.amazonaws.com"),
        "{perm_id}: Principal"
    );
    let api = prop(dep, &["RestApiId"])
        .and_then(ref_target)
        .expect("Deployment RestApiId should !Ref the API");
    let source = prop(perm, &["SourceArn"])
        .and_then(sub_string)
        .unwrap_or_default();
    assert!(
        source.contains(&format!("${{{api}}}/prod/POST/order"))
            && source.contains("${AWS::AccountId}"),
        "{perm_id}: SourceArn should be scoped to this API's POST /order on prod, got {source:?}"
    );
}

#[test]
fn physical_names_carry_the_stack_name_and_fit_aws_limits() {
    let t = template();
    // (type, name property, AWS's length limit)
    let named = [
        ("AWS::Lambda::Function", "FunctionName", 64),
        ("AWS::IAM::Role", "RoleName", 64),
        ("AWS::Kinesis::Stream", "Name", 128),
        ("AWS::Logs::LogGroup", "LogGroupName", 512),
        ("AWS::ApiGateway::RestApi", "Name", 1024),
        ("AWS::CloudWatch::Dashboard", "DashboardName", 255),
    ];
    let stack = "s".repeat(MAX_STACK_NAME_LEN);
    for (ty, key, limit) in named {
        let list = of_type(&t, ty);
        assert!(!list.is_empty(), "no {ty} in the template");
        for (id, r) in list {
            let name = prop(r, &[key]).and_then(sub_string).unwrap_or_else(|| {
                panic!("{id}: {key} should be a !Sub naming it after the stack")
            });
            assert!(
                name.contains("${AWS::StackName}"),
                "{id}: {key} {name:?} should contain the stack name, so `demo down` can find it"
            );
            let longest = name
                .replace("${AWS::StackName}", &stack)
                .replace("${AWS::Region}", LONGEST_REGION)
                .replace("${Instance}", "0123abcd");
            assert!(
                !longest.contains("${"),
                "{id}: {key} {name:?} uses a variable this test cannot size"
            );
            assert!(
                longest.len() <= limit,
                "{id}: {key} is {} characters with a {MAX_STACK_NAME_LEN}-character stack name \
                 in {LONGEST_REGION}; AWS allows {limit}",
                longest.len()
            );
        }
    }
}

/// A name SQS or CloudFormation will not give again at once must not be fixed: SQS refuses a
/// queue named as one deleted in the last 60 s, and a changed key replaces a table, which a
/// fixed name makes impossible. CloudFormation names them `<stack>-<LogicalId>-<random>`; the
/// tool finds them by that prefix, so the logical ids are the ones `demo` knows.
#[test]
fn the_queue_and_the_tables_are_named_by_cloudformation() {
    let t = template();
    for (ty, key, ids) in [
        ("AWS::SQS::Queue", "QueueName", vec!["OnFailureDestination"]),
        (
            "AWS::DynamoDB::Table",
            "TableName",
            vec!["OrderTable1", "OrderTable2"],
        ),
    ] {
        let found: Vec<&str> = of_type(&t, ty).into_iter().map(|(id, _)| id).collect();
        assert_eq!(found, ids, "{ty}");
        for (id, r) in of_type(&t, ty) {
            assert!(
                prop(r, &[key]).is_none(),
                "{id}: {key} is fixed; let CloudFormation name it"
            );
            // <stack>-<LogicalId>-<13 random>: SQS allows 80 characters.
            let generated = MAX_STACK_NAME_LEN + 1 + id.len() + 1 + 13;
            assert!(generated <= 80, "{id}: {generated} characters");
        }
    }
}

/// Keyed by orderid alone: the notebook's orders all have accountid "a0", and a partition
/// takes at most 1,000 writes a second.
#[test]
fn the_tables_are_keyed_by_orderid_alone() {
    let t = template();
    for (id, table) in of_type(&t, "AWS::DynamoDB::Table") {
        let keys = prop(table, &["KeySchema"]).and_then(seq).unwrap();
        let keys: Vec<(&str, &str)> = keys
            .iter()
            .map(|k| {
                (
                    field(k, "AttributeName").and_then(lit).unwrap(),
                    field(k, "KeyType").and_then(lit).unwrap(),
                )
            })
            .collect();
        assert_eq!(keys, [("orderid", "HASH")], "{id}");
        let attributes = prop(table, &["AttributeDefinitions"])
            .and_then(seq)
            .unwrap();
        assert_eq!(
            attributes.len(),
            1,
            "{id}: only key attributes are declared"
        );
    }
}

/// `body` with every `${name}` replaced by `value(name)`.
fn substitute(body: &str, value: impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some(start) = rest.find("${") {
        let end = rest[start..]
            .find('}')
            .unwrap_or_else(|| panic!("unclosed ${{ in {rest:?}"));
        out.push_str(&rest[..start]);
        out.push_str(&value(&rest[start + 2..start + end]));
        rest = &rest[start + end + 1..];
    }
    out + rest
}

#[test]
fn dashboard_body_is_json_after_substitution_and_plots_every_function_and_mapping() {
    let t = template();
    let dashboards = of_type(&t, "AWS::CloudWatch::Dashboard");
    let [(id, dashboard)] = dashboards[..] else {
        panic!("expected one dashboard, found {}", dashboards.len())
    };
    let sub = prop(dashboard, &["DashboardBody"]);
    let body = sub
        .and_then(sub_string)
        .unwrap_or_else(|| panic!("{id}: DashboardBody should be a !Sub string"));
    // `!Sub [body, {Var: !Ref X}]`: each variable stands for what it Refs.
    let variables = sub
        .and_then(|v| call(v, "Sub"))
        .and_then(seq)
        .and_then(|parts| parts.get(1));
    // A variable that is not a !Ref (a !GetAtt, a !Sub) gets a sample value of its own.
    let target = |name: &str| -> String {
        variables
            .and_then(|vars| field(vars, name))
            .map(|v| match (ref_target(v), getatt(v)) {
                (Some(target), _) => target.to_owned(),
                (None, Some((resource, attribute))) => format!("{resource}.{attribute}"),
                (None, None) => format!("sample-{name}"),
            })
            .unwrap_or_else(|| name.to_owned())
    };
    // Sample values as CloudFormation would give them: a resource's Ref, a parameter's default.
    let substituted = substitute(body, |name| match target(name).as_str() {
        "AWS::Region" => LONGEST_REGION.to_owned(),
        "AWS::StackName" => "demo".to_owned(),
        name if resources(&t).contains_key(name) => format!("physical-{name}"),
        name if name.contains('.') || name.starts_with("sample-") => name.to_owned(),
        name => {
            let default = field(parameter(&t, name), "Default")
                .unwrap_or_else(|| panic!("{id}: ${{{name}}} has no default to sample"));
            number(default).map_or_else(|| format!("{default:?}"), |n| n.to_string())
        }
    });
    let json: serde_json::Value = serde_json::from_str(&substituted).unwrap_or_else(|err| {
        panic!("{id}: DashboardBody is not JSON after substitution ({err}):\n{substituted}")
    });
    let widgets = json["widgets"].as_array().expect("a widgets array");
    for w in widgets {
        let at = &w["properties"]["title"];
        // Alarm widgets name their alarms by ARN, which carries the region.
        if w["type"] != "alarm" {
            assert_eq!(w["properties"]["region"], LONGEST_REGION, "{at}: region");
        }
        let (x, width) = (w["x"].as_u64().unwrap(), w["width"].as_u64().unwrap());
        assert!(x + width <= 24, "{at}: beyond the dashboard's 24 columns");
    }
    let text = json.to_string();
    for (function, _) in of_type(&t, "AWS::Lambda::Function")
        .into_iter()
        .chain(of_type(&t, "AWS::Lambda::EventSourceMapping"))
    {
        assert!(
            text.contains(&format!("physical-{function}")),
            "{id}: the dashboard does not plot {function}"
        );
    }
    let titles: Vec<&str> = widgets
        .iter()
        .filter_map(|w| w["properties"]["title"].as_str())
        .collect();
    for panel in [
        "Function cost (MB-ms)",
        "Duration (ms, avg)",
        "Network (bytes)",
    ] {
        assert!(
            titles.contains(&panel),
            "{id}: no {panel:?} panel in {titles:?}"
        );
    }
    assert!(
        text.contains("put-item-1 (100 / 30 s)") && text.contains("put-item-2 (10 / 2 s)"),
        "{id}: each consumer should be labelled with its batching"
    );
    let alarm_widget = widgets
        .iter()
        .find(|w| w["type"] == "alarm")
        .unwrap_or_else(|| panic!("{id}: no alarm widget for given-up records"));
    assert_eq!(
        alarm_widget["properties"]["alarms"][0], "sample-FailuresAlarmArn",
        "{id}: the alarm widget shows the failures alarm"
    );
    assert!(
        text.contains("OnFailureDestination.QueueName"),
        "{id}: the dashboard plots the on-failure queue"
    );
}

#[test]
fn a_given_up_batch_raises_an_alarm_and_records_never_age_out_of_a_mapping() {
    let t = template();
    for (id, m) in of_type(&t, "AWS::Lambda::EventSourceMapping") {
        assert_eq!(
            prop(m, &["MaximumRecordAgeInSeconds"]).and_then(number),
            Some(-1),
            "{id}: records must not be skipped for their age while the stream still holds them"
        );
    }
    let alarms = of_type(&t, "AWS::CloudWatch::Alarm");
    let [(id, alarm)] = alarms[..] else {
        panic!("expected one alarm, found {}", alarms.len())
    };
    let p = |key: &str| prop(alarm, &[key]);
    assert_eq!(p("Namespace").and_then(lit), Some("AWS/SQS"), "{id}");
    assert_eq!(
        p("MetricName").and_then(lit),
        Some("ApproximateNumberOfMessagesVisible"),
        "{id}"
    );
    let dimension = p("Dimensions").and_then(seq).and_then(|d| d.first());
    let queue = dimension
        .and_then(|d| field(d, "Value"))
        .and_then(getatt)
        .unwrap_or_else(|| panic!("{id}: the dimension should !GetAtt the queue's name"));
    assert_eq!(
        queue,
        ("OnFailureDestination".into(), "QueueName".into()),
        "{id}"
    );
    assert_eq!(
        p("Threshold").and_then(number),
        Some(1),
        "{id}: the first message"
    );
    assert_eq!(
        p("ComparisonOperator").and_then(lit),
        Some("GreaterThanOrEqualToThreshold"),
        "{id}"
    );
    assert_eq!(
        p("TreatMissingData").and_then(lit),
        Some("notBreaching"),
        "{id}"
    );
    // The dashboard names the alarm by an ARN built from the same name.
    let name = p("AlarmName")
        .and_then(sub_string)
        .expect("a !Sub alarm name");
    let body = template_text();
    assert!(
        body.contains(&format!(":alarm:{name}")),
        "{id}: the dashboard's alarm ARN should end in :alarm:{name}"
    );
}
