"""A rehearsal of the production deployment on a moto server: the stateful stack, then
the packaged application translated offline from SAM to plain CloudFormation (what
CloudFormation's transform does), its code uploaded to the emulator's S3 first (what
``aws cloudformation package`` does), created as a second stack importing the first.

moto's CloudFormation does not create every resource type the templates use (see
``NOT_REHEARSED`` in tests/infra/rehearsal.py): those are left out, visibly, and
checked as declarations in test_stateful_template.py, test_packaged_app.py and (the
web console's CloudFront and Cognito pieces) test_console_template.py. It
also ignores some table settings (time to live, point-in-time recovery, encryption),
which are checked from the template in test_table_matches_models.py.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from infra.stages import console_origin, mail_domain, policy_file
from infra.template import load_template
from tests.infra.conftest import REGION
from tests.infra.rehearsal import NOT_REHEARSED, moto_server, rehearsable, translate

STAGE = "prod"
DATA_STACK = f"adhesion-{STAGE}-data"
APP_STACK = f"adhesion-{STAGE}"
BUCKET = "adhesion-artifacts"


@dataclass
class Rehearsal:
    session: boto3.session.Session
    url: str
    translated: dict[str, Any]
    left_out: dict[str, dict[str, str]]

    def client(self, service: str):
        return self.session.client(service, endpoint_url=self.url)

    def physical_ids(self, stack: str) -> dict[str, str]:
        cloudformation = self.client("cloudformation")
        resources = cloudformation.list_stack_resources(StackName=stack)["StackResourceSummaries"]
        return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}


def _create_stack(cloudformation, name: str, template: dict[str, Any], **parameters: str) -> None:
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    cloudformation.get_waiter("stack_create_complete").wait(
        StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )


@pytest.fixture(scope="module")
def rehearsal(packaged) -> Rehearsal:
    sam_template = packaged(STAGE)
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    with moto_server() as url:
        cloudformation = session.client("cloudformation", endpoint_url=url)

        # GIVEN the stateful stack of the stage
        stateful, stateful_left_out = rehearsable(load_template())
        _create_stack(cloudformation, DATA_STACK, stateful, Stage=STAGE, MailDomain=mail_domain(STAGE))

        # AND the deployment package uploaded where the application's template points
        s3 = session.client("s3", endpoint_url=url)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.upload_file(str(sam_template.parent / "deployment.zip"), BUCKET, f"{STAGE}/deployment.zip")

        # WHEN the packaged application is translated and created as the second stack
        translated = translate(
            sam_template, stage=STAGE, region=REGION, code_uri=f"s3://{BUCKET}/{STAGE}/deployment.zip"
        )
        app, app_left_out = rehearsable(translated)
        _create_stack(cloudformation, APP_STACK, app, Stage=STAGE, ConsoleOrigin=console_origin(STAGE))

        yield Rehearsal(session, url, translated, {DATA_STACK: stateful_left_out, APP_STACK: app_left_out})


# -- The stacks --------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", [DATA_STACK, APP_STACK])
def test_stack_completes_with_every_resource_created(rehearsal, stack):
    cloudformation = rehearsal.client("cloudformation")

    [description] = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    assert description["StackStatus"] == "CREATE_COMPLETE"
    statuses = {
        r["LogicalResourceId"]: r["ResourceStatus"]
        for r in cloudformation.list_stack_resources(StackName=stack)["StackResourceSummaries"]
    }
    assert statuses and set(statuses.values()) == {"CREATE_COMPLETE"}


def test_only_resource_types_moto_lacks_are_left_out(rehearsal):
    for stack, left_out in rehearsal.left_out.items():
        assert set(left_out.values()) <= set(NOT_REHEARSED), stack
    created = {**rehearsal.physical_ids(DATA_STACK), **rehearsal.physical_ids(APP_STACK)}
    assert {
        "Table",
        "NotifyFailureQueue",
        "NotificationsKey",
        "MailFeedbackTopic",
        "AlarmTopic",
        "APIHandler",
        "JwtAuthorizer",
        "Notify",
        "ApiHandlerRole",
        "JwtAuthorizerRole",
        "NotifyRole",
        "NotifyNotifyDynamodbEventSource",
        "RestAPI",
        "ConsoleBucket",
        "ConsoleLogBucket",
    } <= set(created)


# -- The table, the queue and the stream mapping, as declared ------------------------------------


def test_table_exists_as_declared(rehearsal):
    declared = load_template()["Resources"]["Table"]["Properties"]

    table = rehearsal.client("dynamodb").describe_table(TableName=f"adhesion-{STAGE}")["Table"]

    assert table["KeySchema"] == declared["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        declared["AttributeDefinitions"], key=lambda a: a["AttributeName"]
    )
    indexes = {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in table["GlobalSecondaryIndexes"]}
    assert indexes == {
        i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in declared["GlobalSecondaryIndexes"]
    }
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["DeletionProtectionEnabled"] is True


def test_failure_queue_exists_as_declared(rehearsal):
    sqs = rehearsal.client("sqs")
    url = sqs.get_queue_url(QueueName=f"adhesion-{STAGE}-notify-failures")["QueueUrl"]

    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]

    assert attributes["SqsManagedSseEnabled"] == "true"
    assert attributes["MessageRetentionPeriod"] == str(14 * 24 * 3600)


def test_stream_function_reads_the_tables_stream_with_the_declared_settings(rehearsal):
    stream_arn = rehearsal.client("dynamodb").describe_table(TableName=f"adhesion-{STAGE}")["Table"][
        "LatestStreamArn"
    ]
    queue_arn = rehearsal.client("sqs").get_queue_attributes(
        QueueUrl=rehearsal.physical_ids(DATA_STACK)["NotifyFailureQueue"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]

    [mapping] = rehearsal.client("lambda").list_event_source_mappings(
        FunctionName=f"adhesion-{STAGE}-notify"
    )["EventSourceMappings"]

    assert mapping["EventSourceArn"] == stream_arn
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": queue_arn}}
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["MaximumRetryAttempts"] == 5
    assert mapping["ParallelizationFactor"] == 1
    assert mapping["MaximumRecordAgeInSeconds"] == 6 * 3600
    assert mapping["BatchSize"] == 100
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    patterns = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert patterns == [
        {"dynamodb": {"Keys": {"SK": {"S": [{"prefix": "REQ#"}]}}}},
        {"dynamodb": {"Keys": {"PK": {"S": [{"prefix": "NOTICE#"}]}}}},
    ]


# -- The web console's buckets and what its config.json is written from ---------------------------


@pytest.mark.parametrize("bucket", ["ConsoleBucket", "ConsoleLogBucket"])
def test_console_buckets_exist_encrypted_and_tagged(rehearsal, bucket):
    # moto's CloudFormation applies a bucket's encryption and tags, and ignores its
    # versioning, public access block, logging, lifecycle and ownership: those are
    # checked from the template in test_console_template.py.
    s3 = rehearsal.client("s3")
    name = rehearsal.physical_ids(APP_STACK)[bucket]

    [rule] = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]

    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert {"Key": "stage", "Value": STAGE} in s3.get_bucket_tagging(Bucket=name)["TagSet"]


def test_console_configuration_comes_from_the_stacks_outputs(rehearsal):
    from infra.console import app_stack, console_of, data_stack, stack_outputs

    cloudformation = rehearsal.client("cloudformation")
    data, app = (
        stack_outputs(cloudformation, data_stack(STAGE)),
        stack_outputs(cloudformation, app_stack(STAGE)),
    )

    # WHEN the publisher reads the two stacks as make deploy leaves them
    console = console_of(data, app, REGION)

    # THEN it publishes to the stack's bucket, and config.json names the API the stack
    # created, the data stack's user pool and domain, and the console's own client
    assert console.bucket == rehearsal.physical_ids(APP_STACK)["ConsoleBucket"]
    api_id = rehearsal.physical_ids(APP_STACK)["RestAPI"]
    assert console.config == {
        "apiUrl": f"https://{api_id}.execute-api.{REGION}.amazonaws.com/api",
        "region": REGION,
        "userPoolId": data["UserPoolId"],
        "clientId": app["ConsoleClientId"],
        "authMode": "hosted",
        "cognitoDomain": data["CognitoDomain"],
        "redirectUri": f"{console.url}/auth/callback",
        "logoutUri": f"{console.url}/",
    }
    # (the pool, its domain and the client are moto stand-ins: see NOT_REHEARSED)
    assert data["CognitoDomain"].endswith(f".auth.{REGION}.amazoncognito.com")


# -- The functions ----------------------------------------------------------------------------

# Chalice's function name -> (suffix of the Lambda function's name, the role's logical id).
FUNCTIONS = {
    "api_handler": ("", "ApiHandlerRole"),
    "jwt_authorizer": ("-jwt_authorizer", "JwtAuthorizerRole"),
    "notify": ("-notify", "NotifyRole"),
    "schedule": ("-schedule", "ScheduleRole"),
}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_functions_are_wired_to_the_stateful_stack(rehearsal, function):
    suffix, _ = FUNCTIONS[function]
    exports = {e["Name"]: e["Value"] for e in rehearsal.client("cloudformation").list_exports()["Exports"]}

    configuration = rehearsal.client("lambda").get_function_configuration(
        FunctionName=f"adhesion-{STAGE}{suffix}"
    )

    variables = configuration["Environment"]["Variables"]
    assert variables["TABLE_NAME"] == f"adhesion-{STAGE}"
    # The configuration set and the user pool are moto stand-ins: what matters is that
    # each value travelled from the stateful stack's export to the function.
    assert variables["MAIL_CONFIGURATION_SET"] == exports[f"adhesion-{STAGE}-MailConfigurationSetName"]
    assert variables["JWT_ISSUER"] == exports[f"adhesion-{STAGE}-JwtIssuer"]
    assert variables["JWT_ISSUER"].startswith(f"https://cognito-idp.{REGION}.amazonaws.com/")
    # ... and the console's app client, which moto's CloudFormation does not create.
    assert variables["JWT_AUDIENCES"] == f"{exports[f'adhesion-{STAGE}-JwtAudiences']},ConsoleClient-stand-in"
    assert variables["MAIL_SENDER"] == f"no-reply@{mail_domain(STAGE)}"
    # The unsubscribe key's secret (a stand-in too), which the policy below lets read.
    assert variables["UNSUBSCRIBE_SECRET_ARN"] == exports[f"adhesion-{STAGE}-UnsubscribeSecretArn"]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_runs_with_its_own_policy(rehearsal, function):
    suffix, role_id = FUNCTIONS[function]
    iam = rehearsal.client("iam")
    role_name = rehearsal.physical_ids(APP_STACK)[role_id]

    configuration = rehearsal.client("lambda").get_function_configuration(
        FunctionName=f"adhesion-{STAGE}{suffix}"
    )
    names = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    # Besides its policy file, the API and the stream function may read the unsubscribe
    # key (infra/app-merge.yaml), and nothing else.
    key_policy = f"adhesion-{STAGE}-read-unsubscribe-key"
    assert (key_policy in names) is (function in ("api_handler", "notify"))
    [policy_name] = [name for name in names if name != key_policy]
    document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    if isinstance(document, str):
        # moto keeps an inline policy created by CloudFormation as the repr of a dict.
        document = ast.literal_eval(document)

    assert configuration["Role"] == iam.get_role(RoleName=role_name)["Role"]["Arn"]
    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    assert document == json.loads(policy_file(STAGE, function).read_text(encoding="utf-8"))


def test_translated_functions_run_python_313_with_json_logs_and_tracing(rehearsal):
    functions = [
        r["Properties"]
        for r in rehearsal.translated["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
    ]

    assert len(functions) == len(FUNCTIONS)
    for function in functions:
        assert function["Runtime"] == "python3.13"
        assert function["TracingConfig"] == {"Mode": "Active"}
        assert function["LoggingConfig"]["LogFormat"] == "JSON"
        assert function["LoggingConfig"]["SystemLogLevel"] == "WARN"


# -- What moto cannot create, checked in the translation ------------------------------------------


def test_translation_keeps_the_apis_error_shapes_throttling_and_logs(rehearsal):
    resources = rehearsal.translated["Resources"]
    [api] = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    [stage] = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::ApiGateway::Stage"]

    responses = api["Body"]["x-amazon-apigateway-gateway-responses"]
    assert {"UNAUTHORIZED", "ACCESS_DENIED", "DEFAULT_4XX", "DEFAULT_5XX"} <= set(responses)
    assert all("application/json" in r["responseTemplates"] for r in responses.values())
    [settings] = stage["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == {"Ref": "ThrottlingRateLimit"}
    assert settings["ThrottlingBurstLimit"] == {"Ref": "ThrottlingBurstLimit"}
    assert stage["TracingEnabled"] is True
    assert stage["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
