"""Creates the local stack's stateful resources from infra/template.yaml, the same
definition production deploys.

The emulator's CloudFormation creates what it supports (the table with its stream,
the failure queue); the resources it does not (Cognito, SES) are created with their
own APIs from the properties read out of the same template. Nothing here restates
the schema.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from infra.template import load_template

# Resource types the emulator's CloudFormation creates faithfully enough to use.
CLOUDFORMATION_TYPES = frozenset({"AWS::DynamoDB::Table", "AWS::SQS::Queue"})
LOCAL_STACK_NAME = "adhesion-local"
# Local sign-in sends the password, where the deployed client only allows SRP: the tools
# with the admin flow (make token, the seed), the web console's sign-in form from the
# browser with InitiateAuth USER_PASSWORD_AUTH (no AWS credentials there).
LOCAL_AUTH_FLOWS = ("ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_PASSWORD_AUTH")

_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


@dataclass(frozen=True)
class LocalStack:
    """What a client of the local stack needs; written to .local/stack.json."""

    aws_endpoint_url: str
    region: str
    stage: str
    table_name: str
    table_stream_arn: str
    failure_queue_url: str
    failure_queue_arn: str
    user_pool_id: str
    user_pool_client_id: str
    jwt_issuer: str
    jwks_url: str
    mail_sender: str
    mail_configuration_set: str
    #: the secret that signs the unsubscribe links ('' for a stack made before them)
    unsubscribe_secret_arn: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _references(value: Any) -> set[str]:
    """Names of resources or parameters a template value refers to."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                found.add(inner[0] if isinstance(inner, list) else inner.split(".")[0])
            elif key == "Fn::Sub":
                text = inner if isinstance(inner, str) else inner[0]
                found.update(_SUB_NAME.findall(text))
                if not isinstance(inner, str):
                    found.update(_references(inner[1]))
            else:
                found.update(_references(inner))
    elif isinstance(value, list):
        for inner in value:
            found.update(_references(inner))
    return found


def local_template(template: dict[str, Any]) -> dict[str, Any]:
    """The part of the template the emulator's CloudFormation can create."""
    kept = {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] in CLOUDFORMATION_TYPES
    }
    known = (
        set(kept)
        | set(template.get("Parameters", {}))
        | {"AWS::Region", "AWS::AccountId", "AWS::StackName", "AWS::Partition"}
    )
    for name, resource in kept.items():
        missing = _references(resource) - known
        if missing:
            raise ValueError(f"{name} refers to {sorted(missing)}, which the emulator cannot create")
    outputs = {
        name: output
        for name, output in template.get("Outputs", {}).items()
        if _references(output.get("Value")) <= known and "Condition" not in output
    }
    for output in outputs.values():
        output.pop("Export", None)
    return {
        "AWSTemplateFormatVersion": template.get("AWSTemplateFormatVersion", "2010-09-09"),
        "Parameters": copy.deepcopy(template.get("Parameters", {})),
        "Conditions": copy.deepcopy(template.get("Conditions", {})),
        "Resources": copy.deepcopy(kept),
        "Outputs": copy.deepcopy(outputs),
    }


def resolve(value: Any, parameters: dict[str, str]) -> Any:
    """Resolve the intrinsic functions the template uses on parameters (Ref, Sub)."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, inner),) = value.items()
        if key == "Ref" and inner in parameters:
            return parameters[inner]
        if key == "Fn::Sub" and isinstance(inner, str):
            return _SUB_NAME.sub(lambda match: parameters[match.group(1)], inner)
    if isinstance(value, dict):
        return {key: resolve(inner, parameters) for key, inner in value.items()}
    if isinstance(value, list):
        return [resolve(inner, parameters) for inner in value]
    return value


def _resource(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    matches = [resource for resource in template["Resources"].values() if resource["Type"] == resource_type]
    if len(matches) != 1:
        raise ValueError(f"expected one {resource_type} in the template, found {len(matches)}")
    return matches[0].get("Properties", {})


def _api_arguments(
    client, operation: str, properties: dict[str, Any], renames: dict[str, str] | None = None
) -> dict[str, Any]:
    """Keep the template properties the API call accepts, under the API's names."""
    members = client.meta.service_model.operation_model(operation).input_shape.members
    arguments = {}
    for name, value in properties.items():
        name = (renames or {}).get(name, name)
        if name in members:
            arguments[name] = value
    return arguments


def _deploy_stateful_stack(
    cloudformation, template: dict[str, Any], parameters: dict[str, str]
) -> dict[str, str]:
    body = local_template(template)
    cloudformation.create_stack(
        StackName=LOCAL_STACK_NAME,
        TemplateBody=json.dumps(body),
        Parameters=[
            {"ParameterKey": key, "ParameterValue": value}
            for key, value in parameters.items()
            if key in body["Parameters"]
        ],
    )
    stack = cloudformation.describe_stacks(StackName=LOCAL_STACK_NAME)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"local stack ended in {stack['StackStatus']}: {stack.get('StackStatusReason')}")
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def _create_user_pool(
    cognito, template: dict[str, Any], parameters: dict[str, str], region: str, endpoint: str
) -> tuple[str, str, str, str]:
    pool_properties = resolve(_resource(template, "AWS::Cognito::UserPool"), parameters)
    pool = cognito.create_user_pool(
        **_api_arguments(cognito, "CreateUserPool", pool_properties, {"UserPoolName": "PoolName"})
    )["UserPool"]
    client_properties = resolve(_resource(template, "AWS::Cognito::UserPoolClient"), parameters)
    client_properties["ExplicitAuthFlows"] = [
        *client_properties.get("ExplicitAuthFlows", []),
        *LOCAL_AUTH_FLOWS,
    ]
    client_properties["UserPoolId"] = pool["Id"]
    client = cognito.create_user_pool_client(
        **_api_arguments(cognito, "CreateUserPoolClient", client_properties)
    )["UserPoolClient"]
    # The emulator signs tokens as Cognito would (issuer on amazonaws.com) and
    # publishes the keys at its own address.
    issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool['Id']}"
    jwks_url = f"{endpoint}/{pool['Id']}/.well-known/jwks.json"
    return pool["Id"], client["ClientId"], issuer, jwks_url


def _create_mail(sesv2, template: dict[str, Any], parameters: dict[str, str]) -> str:
    configuration_set = resolve(_resource(template, "AWS::SES::ConfigurationSet"), parameters)
    sesv2.create_configuration_set(ConfigurationSetName=configuration_set["Name"])
    identity = resolve(_resource(template, "AWS::SES::EmailIdentity"), parameters)
    sesv2.create_email_identity(EmailIdentity=identity["EmailIdentity"])
    return configuration_set["Name"]


def _create_unsubscribe_secret(secretsmanager, template: dict[str, Any], parameters: dict[str, str]) -> str:
    """The template's secret, as the emulator's CloudFormation cannot create it: its name,
    and a value generated by the emulator's Secrets Manager as the template asks."""
    properties = resolve(_resource(template, "AWS::SecretsManager::Secret"), parameters)
    password = secretsmanager.get_random_password(
        **_api_arguments(secretsmanager, "GetRandomPassword", properties["GenerateSecretString"])
    )["RandomPassword"]
    return secretsmanager.create_secret(Name=properties["Name"], SecretString=password)["ARN"]


def provision(session, endpoint: str, region: str, stage: str, mail_domain: str) -> LocalStack:
    """Create every stateful resource of the local stack on the emulator."""
    template = load_template()
    parameters = {"Stage": stage, "MailDomain": mail_domain}

    def client(service: str):
        return session.client(service, region_name=region, endpoint_url=endpoint)

    outputs = _deploy_stateful_stack(client("cloudformation"), template, parameters)
    table_name = outputs["TableName"]
    stream_arn = client("dynamodb").describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
    queue_url = outputs["NotifyFailureQueueUrl"]
    queue_arn = client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    pool_id, client_id, issuer, jwks_url = _create_user_pool(
        client("cognito-idp"), template, parameters, region, endpoint
    )
    configuration_set = _create_mail(client("sesv2"), template, parameters)
    unsubscribe_secret_arn = _create_unsubscribe_secret(client("secretsmanager"), template, parameters)
    return LocalStack(
        aws_endpoint_url=endpoint,
        region=region,
        stage=stage,
        table_name=table_name,
        table_stream_arn=stream_arn,
        failure_queue_url=queue_url,
        failure_queue_arn=queue_arn,
        user_pool_id=pool_id,
        user_pool_client_id=client_id,
        jwt_issuer=issuer,
        jwks_url=jwks_url,
        mail_sender=f"no-reply@{mail_domain}",
        mail_configuration_set=configuration_set,
        unsubscribe_secret_arn=unsubscribe_secret_arn,
    )
