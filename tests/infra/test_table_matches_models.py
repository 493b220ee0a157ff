"""The table the code's PynamoDB models describe is the table infra/template.yaml creates."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from pynamodb.models import Model

from chalicelib.persistence import models


def item_models() -> list[type[Model]]:
    """The models of chalicelib/persistence/models.py, one per kind of item (not their private base)."""
    return [
        cls
        for name, cls in inspect.getmembers(models, inspect.isclass)
        if issubclass(cls, Model) and cls.__module__ == models.__name__ and not name.startswith("_")
    ]


def _schema(cls: type[Model]) -> dict[str, Any]:
    # PynamoDB's own description of the table a model needs (what its create_table would
    # send): the models are read as PynamoDB reads them, attr_name included.
    return cls._get_schema()


def _keys(key_schema: list[dict[str, str]]) -> dict[str, str]:
    return {key["KeyType"]: key["AttributeName"] for key in key_schema}


@pytest.fixture(scope="module")
def table(stateful) -> dict[str, Any]:
    return stateful["Resources"]["Table"]["Properties"]


def test_every_model_uses_the_tables_primary_key(table):
    # GIVEN every item model
    classes = item_models()
    assert len(classes) >= 6, "the models module should describe every item kind"

    # THEN each keys its items as the table does
    for cls in classes:
        assert _keys(_schema(cls)["key_schema"]) == _keys(table["KeySchema"]), cls.__name__


def test_the_models_indexes_are_exactly_the_tables(table):
    # GIVEN the indexes the models query, with their keys and projections
    described: dict[str, dict[str, Any]] = {}
    for cls in item_models():
        for index in _schema(cls)["global_secondary_indexes"]:
            entry = {"keys": _keys(index["key_schema"]), "projection": index["projection"]["ProjectionType"]}
            assert described.setdefault(index["index_name"], entry) == entry, (
                f"{cls.__name__} describes {index['index_name']} differently from another model"
            )

    # WHEN the template's indexes are read the same way
    declared = {
        index["IndexName"]: {
            "keys": _keys(index["KeySchema"]),
            "projection": index["Projection"]["ProjectionType"],
        }
        for index in table["GlobalSecondaryIndexes"]
    }

    # THEN they are the same: none missing, none unused
    assert described == declared
    assert not table.get("LocalSecondaryIndexes")


def test_key_attributes_have_the_models_types(table):
    described = {}
    for cls in item_models():
        for definition in _schema(cls)["attribute_definitions"]:
            described[definition["AttributeName"]] = definition["AttributeType"]

    declared = {d["AttributeName"]: d["AttributeType"] for d in table["AttributeDefinitions"]}

    assert described == declared


def test_expiry_attribute_is_the_tables_time_to_live(table):
    # GIVEN the models whose items expire (the email ledger among them)
    ttl_attributes = {
        cls.__name__: cls._ttl_attribute().attr_name
        for cls in item_models()
        if cls._ttl_attribute() is not None
    }
    assert "EmailRoundModel" in ttl_attributes

    # THEN the table deletes items on their attribute: a table has only one
    assert set(ttl_attributes.values()) == {table["TimeToLiveSpecification"]["AttributeName"]}
    assert table["TimeToLiveSpecification"]["Enabled"] is True


def test_stream_carries_the_images_the_stream_function_compares(table):
    # chalicelib.stream rebuilds the request from the old and the new image of each
    # record to tell which transition happened; a narrower view would lose one of them.
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_table_keeps_its_data(stateful, table):
    resource = stateful["Resources"]["Table"]
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"
    assert table["DeletionProtectionEnabled"] is True
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
