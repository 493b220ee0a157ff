"""The packaged application (``make package``) of each stage: its stream event source,
its IAM policies, its environment, its API settings and its alarms."""

from __future__ import annotations

import json
import logging
import re
import urllib.parse
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from infra.stages import (
    PROJECT_DIR,
    app_setting_names,
    console_origin,
    environment,
    mail_domain,
    policy_file,
)
from tests.infra.cfn import exported, imported_name, sub

# Chalice's function names and the template resources it makes of them.
FUNCTIONS = {
    "api_handler": "APIHandler",
    "jwt_authorizer": "JwtAuthorizer",
    "notify": "Notify",
    "schedule": "Schedule",
}


def _functions(sam: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: resource
        for name, resource in sam["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def _stream_source(sam: dict[str, Any]) -> dict[str, Any]:
    sources = [
        (name, event)
        for name, function in _functions(sam).items()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "DynamoDB"
    ]
    assert [name for name, _ in sources] == ["Notify"], "exactly one stream source, on notify"
    return sources[0][1]["Properties"]


# -- The stream event source ---------------------------------------------------------------


def test_stream_source_reads_the_stateful_tables_stream(sam, stateful, stage):
    source = _stream_source(sam)

    assert exported(stateful, source["Stream"], stage) == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert source["StartingPosition"] == "TRIM_HORIZON"


def test_stream_source_runs_one_batch_per_shard_at_a_time(sam):
    # The email ledger writes once per email, after the send, with no claim before it:
    # two batches of one shard at once could send an email twice.
    assert _stream_source(sam)["ParallelizationFactor"] == 1


def test_operators_resend_waits_as_long_as_the_stream_may_retry(sam):
    from chalicelib.services.rounds import STREAM_RECORD_MAX_AGE

    assert _stream_source(sam)["MaximumRecordAgeInSeconds"] == STREAM_RECORD_MAX_AGE.total_seconds()


def test_stream_source_retries_finitely_and_then_gives_up_to_the_queue(sam, stateful, stage):
    source = _stream_source(sam)

    assert source["BisectBatchOnFunctionError"] is True
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 0 < source["MaximumRetryAttempts"] <= 10
    # DynamoDB streams keep records for 24 hours: a longer age limit would mean none.
    assert 60 <= source["MaximumRecordAgeInSeconds"] <= 24 * 3600
    on_failure = source["DestinationConfig"]["OnFailure"]
    assert on_failure["Type"] == "SQS"
    queue_arn = exported(stateful, on_failure["Destination"], stage)
    assert queue_arn == {"Fn::GetAtt": ["NotifyFailureQueue", "Arn"]}


def _matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """Lambda's event filtering, for the operators the template uses (literals, prefix)."""
    for key, expected in pattern.items():
        if key not in event:
            return False
        if isinstance(expected, dict):
            if not isinstance(event[key], dict) or not _matches(expected, event[key]):
                return False
            continue
        for alternative in expected:
            if isinstance(alternative, dict):
                assert set(alternative) == {"prefix"}, f"operator not modelled here: {alternative}"
                if isinstance(event[key], str) and event[key].startswith(alternative["prefix"]):
                    break
            elif alternative == event[key]:
                break
        else:
            return False
    return True


def _record(event_name: str, pk: str, sk: str) -> dict[str, Any]:
    keys = {"PK": {"S": pk}, "SK": {"S": sk}}
    return {
        "eventName": event_name,
        "eventSource": "aws:dynamodb",
        "dynamodb": {"Keys": keys, "NewImage": keys, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    }


# An item of each model of chalicelib/persistence/models.py, by its keys (see the models' docstrings).
ITEM_KEYS = {
    "OrganizationModel": ("ORG#o1", "ORG"),
    "MembershipModel": ("ORG#o1", "MEMBER#u1"),
    "MembershipRequestModel": ("ORG#o1", "REQ#r1"),
    "PendingRequestModel": ("ORG#o1", "PENDING#u1"),
    "LastAskedModel": ("ORG#o1", "ASKED#u1"),
    "UserProfileModel": ("USER#u1", "PROFILE"),
    "EmailRoundModel": ("EMAIL#r1#requested", "ROUND"),
    "OperatorActionModel": ("ORG#o1", "HISTORY#2026-05-01T12:00:00.000000+00:00#a1"),
    "NoticeModel": ("NOTICE#u1", "REMINDER#2026-05-01T12:00:00.000000+00:00"),
    "CheckpointModel": ("SCHEDULE", "CHECKPOINT"),
    "UsedLinkModel": ("UNSUBSCRIBE#l1", "USED"),
}
# Keys of kinds whose items take more than one form: each form must be kept out too.
OTHER_FORMS = {"OperatorActionModel": ("OPERATION#a2", "OPERATION")}


def test_filter_cases_cover_every_item_kind():
    # A new kind of item must be considered here: the stream filter may have to let it in.
    from tests.infra.test_table_matches_models import item_models

    assert set(ITEM_KEYS) == {cls.__name__ for cls in item_models()}


@pytest.mark.parametrize("event_name", ["INSERT", "MODIFY", "REMOVE"])
def test_stream_filter_lets_only_membership_requests_and_notices_through(sam, event_name):
    # GIVEN the filters of the stream source
    patterns = [json.loads(f["Pattern"]) for f in _stream_source(sam)["FilterCriteria"]["Filters"]]

    # WHEN a change to each kind of item reaches them
    delivered = {
        kind
        for kind, (pk, sk) in [*ITEM_KEYS.items(), *OTHER_FORMS.items()]
        if any(_matches(p, _record(event_name, pk, sk)) for p in patterns)
    }

    # THEN only membership requests and admin notices reach the function
    assert delivered == {"MembershipRequestModel", "NoticeModel"}


def test_the_scheduled_pass_runs_every_quarter_hour_on_an_eventbridge_rule(sam):
    # GIVEN the events of the packaged functions
    schedules = [
        (name, event["Properties"])
        for name, function in _functions(sam).items()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "Schedule"
    ]

    # THEN one rule runs the schedule function every 15 minutes, and nothing else
    assert schedules == [("Schedule", {"Schedule": "rate(15 minutes)"})]


# -- IAM: each function's policy is its allow-list ------------------------------------------


def _grants(document: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(action, resource, condition) triples; only plain Allow statements are accepted."""
    assert document["Version"] == "2012-10-17"
    grants = set()
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        assert not {"NotAction", "NotResource", "Principal", "NotPrincipal"} & set(statement), statement
        actions, resources = (
            value if isinstance(value, list) else [value]
            for value in (statement["Action"], statement["Resource"])
        )
        condition = json.dumps(statement.get("Condition", {}), sort_keys=True)
        grants |= {(action, resource, condition) for action in actions for resource in resources}
    return grants


def _allow(
    actions: list[str], resources: list[str], condition: dict | None = None
) -> set[tuple[str, str, str]]:
    text = json.dumps(condition or {}, sort_keys=True)
    return {(action, resource, text) for action in actions for resource in resources}


def _allow_lists(sam: dict[str, Any], stage: str) -> dict[str, set[tuple[str, str, str]]]:
    """What each function may do, and nothing more. Account and region are wildcards
    because Chalice policy files are static JSON (no CloudFormation references); the
    names are the stage's own, and other accounts would have to grant access themselves."""
    functions = _functions(sam)
    table = f"arn:aws:dynamodb:*:*:table/adhesion-{stage}"

    def own_logs(function: str) -> set[tuple[str, str, str]]:
        name = sub(functions[FUNCTIONS[function]]["Properties"]["FunctionName"], Stage=stage)
        # ... and its X-Ray traces (Tracing: Active), which no resource narrows.
        return _allow(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [f"arn:aws:logs:*:*:log-group:/aws/lambda/{name}:*"],
        ) | _allow(["xray:PutTelemetryRecords", "xray:PutTraceSegments"], ["*"])

    read = ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"]
    write = ["dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    domain = mail_domain(stage)
    return {
        # The API reads and writes items, in transactions too (ConditionCheckItem).
        "api_handler": own_logs("api_handler")
        | _allow([*read, *write, "dynamodb:ConditionCheckItem"], [table])
        | _allow(["dynamodb:Query"], [f"{table}/index/*"]),
        # The authorizer verifies tokens against the issuer's public keys: no AWS access.
        "jwt_authorizer": own_logs("jwt_authorizer"),
        # The stream function reads the table, writes only its email ledger, reads the
        # stream, sends from the stage's sender, and hands failures to its queue.
        "notify": own_logs("notify")
        | _allow(read, [table])
        | _allow(["dynamodb:Query"], [f"{table}/index/*"])
        # (one PutItem of a round's record per email: nothing to update or delete)
        | _allow(
            ["dynamodb:PutItem"], [table], {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["EMAIL#*"]}}
        )
        | _allow(
            ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
            [f"{table}/stream/*"],
        )
        # ListStreams supports no resource-level permission; Lambda's stream polling lists it.
        | _allow(["dynamodb:ListStreams"], ["*"])
        | _allow(
            ["ses:SendEmail"],
            [f"arn:aws:ses:*:*:identity/{domain}", f"arn:aws:ses:*:*:configuration-set/adhesion-{stage}"],
            {"StringEquals": {"ses:FromAddress": environment(stage)["MAIL_SENDER"]}},
        )
        | _allow(["sqs:SendMessage"], [f"arn:aws:sqs:*:*:adhesion-{stage}-notify-failures"]),
        # The scheduled pass reads the schedule (GSI4), admins and profiles, and writes
        # requests and counters (ORG#, USER#), notices and its checkpoint, in transactions;
        # it sends no email (the stream does).
        "schedule": own_logs("schedule")
        | _allow(read, [table])
        | _allow(["dynamodb:Query"], [f"{table}/index/*"])
        | _allow(
            write,
            [table],
            {
                "ForAllValues:StringLike": {
                    "dynamodb:LeadingKeys": ["ORG#*", "USER#*", "NOTICE#*", "SCHEDULE"]
                }
            },
        ),
    }


def _role_of(sam: dict[str, Any], function: str) -> dict[str, Any]:
    role = _functions(sam)[FUNCTIONS[function]]["Properties"]["Role"]
    assert list(role) == ["Fn::GetAtt"] and role["Fn::GetAtt"][1] == "Arn", role
    return sam["Resources"][role["Fn::GetAtt"][0]]


def test_the_functions_are_the_ones_the_allow_lists_cover(sam):
    assert set(_functions(sam)) == set(FUNCTIONS.values())


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_has_a_role_of_its_own_from_its_policy_file(sam, stage, function):
    # GIVEN the function's role in the packaged template
    role = _role_of(sam, function)["Properties"]

    # THEN it is built from the stage's policy file for that function alone
    others = [_role_of(sam, other) for other in FUNCTIONS if other != function]
    assert all(other is not _role_of(sam, function) for other in others)
    [policy] = role["Policies"]
    assert policy["PolicyDocument"] == json.loads(policy_file(stage, function).read_text(encoding="utf-8"))
    assert "ManagedPolicyArns" not in role and "PermissionsBoundary" not in role
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Sid": "",
        }
    ]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_policy_grants_exactly_its_allow_list(sam, stage, function):
    # GIVEN what the packaged role grants
    [policy] = _role_of(sam, function)["Properties"]["Policies"]
    granted = _grants(policy["PolicyDocument"])

    # THEN nothing beyond the function's allow-list, and all of it (the code needs it)
    allowed = _allow_lists(sam, stage)[function]
    assert granted - allowed == set(), "granted beyond the allow-list"
    assert allowed - granted == set(), "the allow-list's permissions are missing"


def test_policies_name_the_stateful_stacks_resources(stateful, stage):
    # The policy files spell out names the stateful template builds from the stage.
    resources = stateful["Resources"]
    assert sub(resources["Table"]["Properties"]["TableName"], Stage=stage) == f"adhesion-{stage}"
    assert sub(resources["MailConfigurationSet"]["Properties"]["Name"], Stage=stage) == f"adhesion-{stage}"
    assert sub(resources["NotifyFailureQueue"]["Properties"]["QueueName"], Stage=stage) == (
        f"adhesion-{stage}-notify-failures"
    )
    # ... and the SES identity is the stage's sending domain, passed in by make deploy.
    assert resources["MailIdentity"]["Properties"]["EmailIdentity"] == {"Ref": "MailDomain"}


def test_log_groups_are_the_functions_own(sam, stage):
    functions = _functions(sam)
    for logical_id in FUNCTIONS.values():
        name = sub(functions[logical_id]["Properties"]["FunctionName"], Stage=stage)
        [group] = [
            name
            for name in functions[logical_id]["DependsOn"]
            if sam["Resources"][name]["Type"] == "AWS::Logs::LogGroup"
        ]
        group_name = sub(sam["Resources"][group]["Properties"]["LogGroupName"], Stage=stage)
        assert group_name == f"/aws/lambda/{name}"
        assert sam["Resources"][group]["Properties"]["RetentionInDays"] >= 14


# -- Runtime, logs and traces ----------------------------------------------------------------


def test_every_function_runs_on_python_313(sam):
    # Chalice writes the runtime of the interpreter that packaged; the Lambda lock and
    # the bytecode in the package are that version's too (test_deployment_package.py,
    # test_package_bytecode.py).
    runtimes = {name: function["Properties"]["Runtime"] for name, function in _functions(sam).items()}
    assert runtimes == dict.fromkeys(FUNCTIONS.values(), "python3.13")


def test_every_function_logs_json_at_its_stages_level_and_is_traced(sam, stage):
    # GIVEN the stage's level for the application's records
    level = sam["Mappings"]["StageLogging"][stage]["ApplicationLogLevel"]
    for function in _functions(sam).values():
        properties = function["Properties"]
        # THEN each function's records are JSON lines at that level, Lambda's own from WARN
        assert properties["LoggingConfig"] == {
            "LogFormat": "JSON",
            "ApplicationLogLevel": {
                "Fn::FindInMap": ["StageLogging", {"Ref": "Stage"}, "ApplicationLogLevel"]
            },
            "SystemLogLevel": "WARN",
        }
        # AND each invocation is traced by X-Ray (the policies grant it: see the allow-lists)
        assert properties["Tracing"] == "Active"
    # AND the level shows why the authorizer refused a token (logged at INFO)
    assert logging.getLevelName(level) <= logging.INFO


# -- Environment -----------------------------------------------------------------------------


def test_every_variable_is_one_the_application_reads(sam, stage):
    literal = set(environment(stage))
    imported = set(sam["Globals"]["Function"]["Environment"]["Variables"])

    assert literal <= app_setting_names()
    assert imported <= app_setting_names()
    # A function's own variable would silently win over the imported one.
    assert literal.isdisjoint(imported)
    assert {
        "TABLE_NAME",
        "MAIL_SENDER",
        "MAIL_CONFIGURATION_SET",
        "JWT_ISSUER",
        "JWT_AUDIENCES",
        "FRONTEND_BASE_URL",
    } <= literal | imported
    # Lambda sets the region itself; an endpoint is only for the local emulator.
    assert not {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"} & (literal | imported)


def test_functions_carry_the_stages_settings(sam, stage):
    for name, function in _functions(sam).items():
        variables = dict(function["Properties"]["Environment"]["Variables"])
        if name == "Notify":
            # The stream function signs unsubscribe links to this stage's API.
            assert variables.pop("API_BASE_URL") == {
                "Fn::Sub": "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api"
            }
        assert variables == environment(stage)


def test_only_the_api_and_stream_functions_read_the_unsubscribe_key(sam, stateful, stage):
    policy = sam["Resources"]["UnsubscribeKeyReadPolicy"]
    assert policy["Properties"]["Roles"] == [{"Ref": "ApiHandlerRole"}, {"Ref": "NotifyRole"}]
    [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert (statement["Effect"], statement["Action"]) == ("Allow", "secretsmanager:GetSecretValue")
    assert statement["Resource"] == {"Fn::ImportValue": {"Fn::Sub": "adhesion-${Stage}-UnsubscribeSecretArn"}}
    assert stateful["Outputs"]["UnsubscribeSecretArn"]["Value"] == {"Ref": "UnsubscribeSecret"}
    # Granted before either function can run
    for function in ("APIHandler", "Notify"):
        assert "UnsubscribeKeyReadPolicy" in sam["Resources"][function]["DependsOn"]


def test_imported_settings_come_from_the_stateful_stacks_outputs(sam, stateful, stage):
    variables = sam["Globals"]["Function"]["Environment"]["Variables"]

    assert exported(stateful, variables["TABLE_NAME"], stage) == {"Ref": "Table"}
    assert exported(stateful, variables["MAIL_CONFIGURATION_SET"], stage) == {"Ref": "MailConfigurationSet"}
    issuer = exported(stateful, variables["JWT_ISSUER"], stage)
    assert issuer["Fn::If"][0] == "UseCognito"
    assert issuer["Fn::If"][1] == {"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"}
    # The data stack's audiences, to which a stage serving the console adds its client's
    # (test_console_template.py).
    condition, _, audiences = variables["JWT_AUDIENCES"]["Fn::If"]
    assert condition == "ServeConsole"
    assert exported(stateful, audiences, stage) == {
        "Fn::If": ["UseCognito", {"Ref": "UserPoolClient"}, {"Ref": "ExternalAudiences"}]
    }


def test_configuration_is_free_of_secrets():
    text = (PROJECT_DIR / ".chalice" / "config.json").read_text(encoding="utf-8").lower()
    for word in ("secret", "password", "aws_access_key", "private"):
        assert word not in text


# -- The API ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def error_schema() -> dict[str, Any]:
    document = json.loads((PROJECT_DIR / "chalicelib" / "openapi.json").read_text(encoding="utf-8"))
    return document["components"]["schemas"]["Error"]


@pytest.mark.parametrize(
    "response",
    [
        "UNAUTHORIZED",
        "ACCESS_DENIED",
        "DEFAULT_4XX",
        "DEFAULT_5XX",
        "THROTTLED",
        "QUOTA_EXCEEDED",
        "MISSING_AUTHENTICATION_TOKEN",
    ],
)
def test_api_gateways_own_errors_have_the_apis_error_shape(sam, error_schema, response):
    # GIVEN the body API Gateway renders for that error
    template = sam["Resources"]["RestAPI"]["Properties"]["GatewayResponses"][response]
    body = template["ResponseTemplates"]["application/json"]

    # WHEN API Gateway fills in its message (a JSON string, quotes included)
    rendered = json.loads(body.replace("$context.error.messageString", json.dumps('Say "why"')))

    # THEN the client sees the same {"code", "message"} as from the application
    jsonschema.validate(rendered, error_schema)
    assert set(rendered) == {"code", "message"}


@pytest.mark.parametrize(("response", "seconds"), [("THROTTLED", 1), ("QUOTA_EXCEEDED", 3600)])
def test_api_gateways_own_429s_say_when_to_retry(sam, response, seconds):
    # GIVEN a refusal API Gateway answers itself when a limit is reached
    answer = sam["Resources"]["RestAPI"]["Properties"]["GatewayResponses"][response]
    # THEN it is a 429 in the API's throttling code, with a Retry-After in seconds
    # (a quoted literal is a static header value in API Gateway's mapping syntax)
    assert answer["StatusCode"] == 429
    assert (
        json.loads(
            answer["ResponseTemplates"]["application/json"].replace("$context.error.messageString", '""')
        )["code"]
        == "too_many_requests"
    )
    assert answer["ResponseParameters"]["Headers"]["Retry-After"] == f"'{seconds}'"


# What API Gateway's own errors carry so that the console can read them (as the function's
# answers do, chalicelib/api/cors.py): quoted literals, the origin from the stage's parameter.
GATEWAY_CORS_HEADERS = {
    "Access-Control-Allow-Origin": {"Fn::Sub": "'${ConsoleOrigin}'"},
    "Access-Control-Expose-Headers": "'Retry-After, Location'",
    "Vary": "'Origin'",
}


def test_api_gateways_own_errors_name_the_consoles_origin(sam, stage):
    from chalicelib.api.cors import EXPOSE_HEADERS

    responses = sam["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    # GIVEN every answer API Gateway gives itself (the defaults cover the types not listed)
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "UNAUTHORIZED", "ACCESS_DENIED", "THROTTLED"} <= set(responses)
    for name, response in responses.items():
        headers = response["ResponseParameters"]["Headers"]
        # THEN each names the console's origin, exposes what the function's answers expose,
        # and allows no credentials
        assert {key: headers.get(key) for key in GATEWAY_CORS_HEADERS} == GATEWAY_CORS_HEADERS, name
        assert "Access-Control-Allow-Credentials" not in headers
    assert GATEWAY_CORS_HEADERS["Access-Control-Expose-Headers"] == f"'{', '.join(EXPOSE_HEADERS)}'"
    # AND the origin they name is the stage's own, the one the functions read
    origin = sub(GATEWAY_CORS_HEADERS["Access-Control-Allow-Origin"], ConsoleOrigin=console_origin(stage))
    assert origin == f"'{environment(stage)['CORS_ALLOW_ORIGIN']}'"


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("https://adhesion.example.org", True),
        # CloudFront serves the console on 443 only: an origin with a port is never its own.
        ("https://console.adhesion.example.org:8443", False),
        ("*", False),
        ("'*'", False),
        ("https://*.example.org", False),
        ("https://adhesion.example.org/", False),
        ("http://adhesion.example.org", False),
        ("https://a.example.org' , 'https://b.example.org", False),
        ("", False),
    ],
)
def test_the_console_origin_parameter_takes_one_https_origin_only(sam, value, accepted):
    # A wildcard or a quote would widen what API Gateway's errors allow, or break them.
    parameter = sam["Parameters"]["ConsoleOrigin"]
    assert "Default" not in parameter
    assert bool(re.fullmatch(parameter["AllowedPattern"], value)) is accepted


def test_each_stages_console_origin_is_where_its_emails_link(stage):
    # The console serves the pages the emails link to: the stage's one CORS origin is theirs.
    frontend = urllib.parse.urlsplit(environment(stage)["FRONTEND_BASE_URL"])
    assert console_origin(stage) == f"{frontend.scheme}://{frontend.netloc}"
    assert re.fullmatch(r"https://[a-z0-9.-]+", console_origin(stage))


def _operations(sam: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    paths = sam["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    return {
        (method.upper(), path): operation
        for path, operations in paths.items()
        for method, operation in operations.items()
        if method != "parameters"
    }


def test_every_path_answers_its_preflight_through_the_function_without_a_token(sam):
    from app import app

    operations = _operations(sam)
    # GIVEN the API's methods, as packaged
    assert {path for _, path in operations} == set(app.routes)
    for path in app.routes:
        # THEN each path has an OPTIONS method ...
        preflight = operations[("OPTIONS", path)]
        # ... with no authorizer: a browser sends no token with a preflight
        assert "security" not in preflight, path
    # AND every method, preflights included, is handed to the one API function (which names
    # the console's origin to the console only): none is a mock integration answering every
    # origin alike, as Chalice's own CORS support would make
    integrations = [op["x-amazon-apigateway-integration"] for op in operations.values()]
    assert {integration["type"] for integration in integrations} == {"aws_proxy"}
    assert len({json.dumps(integration["uri"], sort_keys=True) for integration in integrations}) == 1


def test_every_other_method_but_the_public_ones_needs_the_authorizer(sam):
    # The unsubscribe link's signature is its authority (chalicelib/mail/unsubscribe.py).
    public = {("GET", "/health"), ("GET", "/openapi.json"), ("GET", "/unsubscribe"), ("POST", "/unsubscribe")}
    for (method, path), operation in _operations(sam).items():
        guarded = "security" in operation
        assert guarded is (method != "OPTIONS" and (method, path) not in public), (method, path)


def test_api_is_throttled_on_every_route(sam):
    api = sam["Resources"]["RestAPI"]["Properties"]

    [settings] = api["MethodSettings"]
    assert (settings["ResourcePath"], settings["HttpMethod"]) == ("/*", "*")
    rate, burst = settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]
    parameters = sam["Parameters"]
    assert 0 < parameters[rate["Ref"]]["Default"] <= parameters[burst["Ref"]]["Default"]


def test_api_errors_raise_an_alarm_on_this_api(sam, stage):
    api_name = sub(sam["Resources"]["RestAPI"]["Properties"]["Name"], Stage=stage)
    [alarm] = [a for a in _alarms(sam) if a["Namespace"] == "AWS/ApiGateway"]

    assert alarm["MetricName"] == "5XXError"
    assert [sub(d["Value"], Stage=stage) for d in alarm["Dimensions"] if d["Name"] == "ApiName"] == [api_name]


def test_api_logs_its_access(sam):
    api = sam["Resources"]["RestAPI"]["Properties"]
    assert api["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    fields = json.loads(api["AccessLogSetting"]["Format"])
    assert {"requestId", "status", "caller"} <= set(fields)


# -- Alarms ----------------------------------------------------------------------------------


def _alarms(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]


def test_every_function_is_watched_for_errors_and_throttles(sam, stateful, stage):
    # GIVEN the application's alarms, by metric and function
    watched = set()
    for alarm in _alarms(sam):
        for action in alarm["AlarmActions"]:
            assert exported(stateful, action, stage) == {"Ref": "AlarmTopic"}
        # The alarm topic's policy admits the stage's alarms by this prefix.
        assert sub(alarm["AlarmName"], Stage=stage).startswith(f"adhesion-{stage}-")
        dimensions = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
        if "FunctionName" in dimensions:
            watched.add((alarm["MetricName"], dimensions["FunctionName"]["Ref"]))

    # THEN each function's errors and throttles, and the stream's lag, raise an alarm
    functions = set(FUNCTIONS.values())
    assert watched >= {("Errors", f) for f in functions} | {("Throttles", f) for f in functions}
    assert ("IteratorAge", "Notify") in watched


def test_the_notifiers_fault_metrics_raise_an_alarm(sam):
    # GIVEN the metrics the notifier publishes when emails were given up, left unrecorded
    # or sent twice, under the namespace and dimension it publishes them with
    from chalicelib.config import get_settings

    faults = {"EmailsFailedPermanently", "EmailsUnrecorded", "EmailsDuplicated"}
    alarmed = {
        alarm["MetricName"]
        for alarm in _alarms(sam)
        if alarm.get("Namespace") == get_settings().metrics_namespace
        and alarm.get("Dimensions") == [{"Name": "service", "Value": "notify"}]
        and alarm["Threshold"] == 1
    }
    # THEN each raises an alarm at its first occurrence
    assert alarmed == faults


def test_imports_name_the_stage_passed_at_deploy(sam, stage):
    # Every import is adhesion-<Stage>-<Output>, so one Stage parameter wires the stacks.
    imports = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if list(node) == ["Fn::ImportValue"]:
                imports.append(imported_name(node, stage))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(sam)
    assert imports and all(name.startswith(f"adhesion-{stage}-") for name in imports)
    assert sam["Parameters"]["Stage"]["AllowedValues"] == ["dev", "prod"]


def test_packaged_template_is_the_one_deploy_uses(packaged, stage):
    # make package writes sam.yaml and deployment.zip side by side, as `aws cloudformation
    # package` expects (CodeUri: ./deployment.zip).
    template = Path(packaged(stage))
    assert template.name == "sam.yaml"
    assert (template.parent / "deployment.zip").stat().st_size > 1_000_000
