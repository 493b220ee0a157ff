"""Reads infra/template.yaml so that tests and the local stack build their
resources from the same definition as production, never from a second copy."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_PATH = Path(__file__).resolve().parent / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """Keeps CloudFormation's short-form tags (``!Ref``, ``!Sub`` ...) as plain dicts."""


def _tag(loader: _CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


@functools.cache
def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    # _CfnLoader is a SafeLoader that only adds CloudFormation's tags as plain dicts.
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506  # nosec B506


def table_properties() -> dict[str, Any]:
    return load_template()["Resources"]["Table"]["Properties"]


def create_table_request(table_name: str) -> dict[str, Any]:
    """The CreateTable call that the template's table amounts to."""
    props = table_properties()
    return {
        "TableName": table_name,
        "BillingMode": props["BillingMode"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "GlobalSecondaryIndexes": props["GlobalSecondaryIndexes"],
        "StreamSpecification": {
            "StreamEnabled": True,
            "StreamViewType": props["StreamSpecification"]["StreamViewType"],
        },
    }


def create_table(client, table_name: str) -> str:
    """Create the table with a DynamoDB client; return its stream ARN."""
    response = client.create_table(**create_table_request(table_name))
    ttl = table_properties()["TimeToLiveSpecification"]
    client.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": ttl["Enabled"]},
    )
    return response["TableDescription"]["LatestStreamArn"]
