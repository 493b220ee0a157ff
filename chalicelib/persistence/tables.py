"""The models bound to one table at one endpoint: what the repository and the ledger use.

PynamoDB reads a model's table, region and endpoint from its ``Meta`` and caches one
connection per class. :func:`bind` derives fresh subclasses of the unbound models with
a ``Meta`` of their own when the container is built (``chalicelib/aws.py``): each starts
without a connection and creates its botocore client on first use, so that a test, the
local stack or a benchmark binds to its own table and endpoint, and the models read no
settings at import.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.connection import Connection
from pynamodb.connection.base import MetaTable
from pynamodb.exceptions import TableError
from pynamodb.models import Model

from chalicelib.persistence import models

_CONNECT_TIMEOUT_SECONDS = 2
_READ_TIMEOUT_SECONDS = 5
_MAX_RETRY_ATTEMPTS = 3


@dataclass(frozen=True)
class Tables:
    """One bound class per kind of item, all in the table ``table_name``."""

    table_name: str
    organizations: type[models.OrganizationModel]
    members: type[models.MembershipModel]
    requests: type[models.MembershipRequestModel]
    pending: type[models.PendingRequestModel]
    asked: type[models.LastAskedModel]
    profiles: type[models.UserProfileModel]
    rounds: type[models.EmailRoundModel]
    operator_actions: type[models.OperatorActionModel]
    notices: type[models.NoticeModel]
    checkpoints: type[models.CheckpointModel]
    used_links: type[models.UsedLinkModel]

    def describe_to(self, connection: Connection) -> None:
        """Tell a connection the table's key schema (once), so that it can read items of
        several kinds in one ``BatchGetItem`` with no ``DescribeTable`` first."""
        try:
            connection.get_meta_table(self.table_name)
        except TableError:
            connection.add_meta_table(MetaTable(_key_schema(self.table_name, models.OrganizationModel)))


def bind(table_name: str, region: str | None = None, host: str | None = None) -> Tables:
    """Fresh model classes on ``table_name`` in ``region``, at ``host`` (None: AWS's own
    endpoint; the emulator's URL locally)."""

    def bound(model: type[Model]):
        meta = type(
            "Meta",
            (),
            {
                "table_name": table_name,
                "region": region,
                "host": host,
                "connect_timeout_seconds": _CONNECT_TIMEOUT_SECONDS,
                "read_timeout_seconds": _READ_TIMEOUT_SECONDS,
                "max_retry_attempts": _MAX_RETRY_ATTEMPTS,
            },
        )
        return type(model.__name__, (model,), {"Meta": meta, "__module__": __name__})

    return Tables(
        table_name,
        organizations=bound(models.OrganizationModel),
        members=bound(models.MembershipModel),
        requests=bound(models.MembershipRequestModel),
        pending=bound(models.PendingRequestModel),
        asked=bound(models.LastAskedModel),
        profiles=bound(models.UserProfileModel),
        rounds=bound(models.EmailRoundModel),
        operator_actions=bound(models.OperatorActionModel),
        notices=bound(models.NoticeModel),
        checkpoints=bound(models.CheckpointModel),
        used_links=bound(models.UsedLinkModel),
    )


def _key_schema(table_name: str, model: type[Model]) -> dict:
    keys = [
        attribute
        for attribute in model.get_attributes().values()
        if attribute.is_hash_key or attribute.is_range_key
    ]
    return {
        "TableName": table_name,
        "KeySchema": [
            {"AttributeName": key.attr_name, "KeyType": "HASH" if key.is_hash_key else "RANGE"}
            for key in keys
        ],
        "AttributeDefinitions": [
            {"AttributeName": key.attr_name, "AttributeType": key.attr_type} for key in keys
        ],
    }
