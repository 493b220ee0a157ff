"""Support for the deployment rehearsal: the offline SAM translation, the moto server,
and the reduction of a template to the resource types moto's CloudFormation creates."""

from __future__ import annotations

import copy
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from infra.template import load_template

# Resource types the templates use that moto's CloudFormation does not create. The
# rehearsal leaves them out (and says so); the tests check everything else, and the
# templates' own tests (test_packaged_app.py) check these resources' declarations.
NOT_REHEARSED = {
    "AWS::CloudWatch::Alarm": "moto's CloudFormation implements dashboards, not alarms",
    "AWS::Cognito::UserPool": "not implemented by moto's CloudFormation",
    "AWS::Cognito::UserPoolClient": "not implemented by moto's CloudFormation",
    "AWS::SES::ConfigurationSet": "not implemented by moto's CloudFormation",
    "AWS::SES::ConfigurationSetEventDestination": "not implemented by moto's CloudFormation",
    "AWS::SES::EmailIdentity": "not implemented by moto's CloudFormation",
    "AWS::SNS::Subscription": "not implemented by moto's CloudFormation",
    "AWS::SNS::TopicPolicy": "not implemented by moto's CloudFormation",
    "AWS::SQS::QueuePolicy": "not implemented by moto's CloudFormation",
    "AWS::SecretsManager::Secret": "not implemented by moto's CloudFormation",
    "AWS::ApiGateway::Stage": "not implemented by moto's CloudFormation",
    # The web console: moto's CloudFormation creates its buckets, nothing of CloudFront,
    # and neither the managed login's domain nor its style.
    "AWS::S3::BucketPolicy": "not implemented by moto's CloudFormation",
    "AWS::CloudFront::Distribution": "not implemented by moto's CloudFormation",
    "AWS::CloudFront::OriginAccessControl": "not implemented by moto's CloudFormation",
    "AWS::CloudFront::Function": "not implemented by moto's CloudFormation",
    "AWS::CloudFront::CachePolicy": "not implemented by moto's CloudFormation",
    "AWS::CloudFront::ResponseHeadersPolicy": "not implemented by moto's CloudFormation",
    "AWS::Cognito::UserPoolDomain": "not implemented by moto's CloudFormation",
    "AWS::Cognito::ManagedLoginBranding": "not implemented by moto's CloudFormation",
    # moto implements the type, but its RestApi ignores the OpenAPI Body that defines
    # the methods, and a deployment of an API without methods is refused.
    "AWS::ApiGateway::Deployment": "moto's RestApi ignores the OpenAPI body, so it has no methods to deploy",
}


# Left-out types whose Ref is an ARN that a policy names: their stand-in is ARN-shaped,
# as IAM refuses a policy whose Resource is not.
ARN_STAND_INS = {
    "AWS::SecretsManager::Secret": "arn:aws:secretsmanager:eu-west-3:123456789012:secret:{}-stand-in"
}


def _moto_creates(resource_type: str) -> bool:
    from moto.cloudformation.parsing import resource_class_from_type

    return resource_type not in NOT_REHEARSED and resource_class_from_type(resource_type) is not None


def rehearsable(template: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A copy of ``template`` without the resources moto cannot create, and those left out
    (logical id -> type). What referred to a left-out resource gets a visible stand-in
    value (``<LogicalId>-stand-in``), so outputs and imports still resolve."""
    result = copy.deepcopy(template)
    left_out = {
        name: resource["Type"]
        for name, resource in result["Resources"].items()
        if not _moto_creates(resource["Type"])
    }
    for name in left_out:
        del result["Resources"][name]

    def stand_in(name: str, attribute: str | None = None) -> str:
        if attribute is None and left_out[name] in ARN_STAND_INS:
            return ARN_STAND_INS[left_out[name]].format(name)
        return f"{name}-{attribute}-stand-in" if attribute else f"{name}-stand-in"

    def in_text(text: str) -> str:
        return re.sub(
            r"\$\{([A-Za-z0-9]+)(?:\.([A-Za-z0-9]+))?\}",
            lambda m: stand_in(m[1], m[2]) if m[1] in left_out else m[0],
            text,
        )

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        if list(node) == ["Ref"] and node["Ref"] in left_out:
            return stand_in(node["Ref"])
        if list(node) == ["Fn::GetAtt"]:
            target = node["Fn::GetAtt"]
            name, attribute = target if isinstance(target, list) else target.split(".", 1)
            if name in left_out:
                return stand_in(name, attribute)
        if list(node) == ["Fn::Sub"]:
            body = node["Fn::Sub"]
            if isinstance(body, str):
                return {"Fn::Sub": in_text(body)}
            return {"Fn::Sub": [in_text(body[0]), walk(body[1])]}
        return {key: walk(value) for key, value in node.items()}

    result = walk(result)
    for resource in result["Resources"].values():
        if "DependsOn" in resource:
            depends = resource["DependsOn"]
            kept = [d for d in ([depends] if isinstance(depends, str) else depends) if d not in left_out]
            if kept:
                resource["DependsOn"] = kept
            else:
                del resource["DependsOn"]
    return result, left_out


def translate(sam_template: Path, stage: str, region: str, code_uri: str) -> dict[str, Any]:
    """The packaged SAM template as plain CloudFormation, translated offline by
    aws-sam-translator (what CloudFormation's AWS::Serverless transform does), with the
    functions' code at ``code_uri`` (what ``aws cloudformation package`` does)."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    template = copy.deepcopy(load_template(sam_template))
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = code_uri

    def no_managed_policies() -> dict[str, str]:
        # Every function brings its own role from its policy file; needing AWS managed
        # policies would mean SAM generated a role with permissions nobody reviewed.
        raise AssertionError("the translation asked for AWS managed policies")

    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    return translator.translate(template, {"Stage": stage}, get_managed_policy_map=no_managed_policies)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def moto_server(timeout_seconds: float = 30.0) -> Iterator[str]:
    """A moto server of its own on 127.0.0.1, stopped on exit; yields its URL."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + timeout_seconds
        while True:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):  # noqa: S310 (our own server)
                    break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the moto server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
