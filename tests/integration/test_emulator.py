"""The local stack's emulator (devstack/emulator.py): DynamoDB and its stream atomic to
their readers, transactions and queries whose cost does not grow with the table, and
answers identical to moto's own."""

from __future__ import annotations

import threading

import boto3
import pytest

from tests.conftest import REGION, TABLE

OTHER_PARTITIONS = 300


def _client():
    return boto3.client("dynamodb", region_name=REGION)


def _streams():
    # The classic regional endpoint: the one moto's mock intercepts (see tests/conftest.py).
    return boto3.client(
        "dynamodbstreams", region_name=REGION, endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
    )


def _item(pk: str, sk: str, **attributes: str) -> dict:
    return {"PK": {"S": pk}, "SK": {"S": sk}} | {name: {"S": value} for name, value in attributes.items()}


def _cancelled_transaction(client, pk: str, sk: str = "A", table: str = TABLE) -> None:
    """A put that is written, then a check that fails: DynamoDB cancels the whole."""
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": _item(pk, sk, GSI1PK="G#a", GSI1SK="1")}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"PK": {"S": pk}, "SK": {"S": "MISSING"}},
                        "ConditionExpression": "attribute_exists(PK)",
                    }
                },
            ]
        )


def _all_records(streams, stream_arn: str) -> list[dict]:
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]


def test_a_stream_read_never_sees_the_writes_of_a_cancelled_transaction(aws, monkeypatch):
    # GIVEN a transaction that moto has half applied (its put written, its check not yet
    # evaluated) and holds there
    from moto.dynamodb.models import DynamoDBBackend

    client, streams = _client(), _streams()
    halfway, release = threading.Event(), threading.Event()
    original_get_item = DynamoDBBackend.get_item

    def get_item(backend, table_name, key, *args, **kwargs):
        if key.get("SK") == {"S": "MISSING"}:
            halfway.set()
            release.wait(10)
        return original_get_item(backend, table_name, key, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "get_item", get_item)
    writer = threading.Thread(target=_cancelled_transaction, args=(client, "T#phantom"))
    writer.start()
    assert halfway.wait(10)

    # WHEN the stream is read meanwhile (the pump polls at any moment)
    seen: list[dict] = []
    reader = threading.Thread(target=lambda: seen.extend(_all_records(streams, aws.stream_arn)))
    reader.start()
    reader.join(timeout=0.5)
    release.set()
    writer.join()
    reader.join()

    # THEN the read waited for the transaction's end and found nothing: the cancelled put
    # never existed for a reader, nor for the table
    assert seen == []
    assert _all_records(streams, aws.stream_arn) == []
    assert "Item" not in client.get_item(TableName=TABLE, Key={"PK": {"S": "T#phantom"}, "SK": {"S": "A"}})


@pytest.fixture
def emulator_patches(aws):
    from devstack.emulator import cheap_transaction_rollback, indexed_queries

    with cheap_transaction_rollback(), indexed_queries():
        yield


def _table():
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(TABLE)


def test_a_cancelled_transaction_restores_what_it_touched_without_copying_the_table(aws, emulator_patches):
    # GIVEN a table with items in many partitions and an item the transaction will change
    client = _client()
    for i in range(OTHER_PARTITIONS):
        client.put_item(TableName=TABLE, Item=_item(f"T#{i}", "A", GSI1PK=f"G#{i % 7}", GSI1SK=str(i)))
    client.put_item(TableName=TABLE, Item=_item("T#kept", "A", GSI1PK="G#kept", GSI1SK="before"))
    table = _table()
    stream_length = len(table.stream_shard.items)

    # WHEN a transaction updates that item, puts a new one, then fails a check
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"PK": {"S": "T#kept"}, "SK": {"S": "A"}},
                        "UpdateExpression": "SET GSI1SK = :after",
                        "ExpressionAttributeValues": {":after": {"S": "after"}},
                    }
                },
                {"Put": {"TableName": TABLE, "Item": _item("T#new", "A", GSI1PK="G#kept", GSI1SK="new")}},
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": {"PK": {"S": "T#0"}, "SK": {"S": "MISSING"}},
                        "ConditionExpression": "attribute_exists(PK)",
                    }
                },
            ]
        )

    # THEN the same table object holds the items as they were (moto's own rollback swaps in
    # a copy of the whole table and its stream, taken before every transaction)
    assert _table() is table
    assert client.get_item(TableName=TABLE, Key={"PK": {"S": "T#kept"}, "SK": {"S": "A"}})["Item"][
        "GSI1SK"
    ] == {"S": "before"}
    assert "Item" not in client.get_item(TableName=TABLE, Key={"PK": {"S": "T#new"}, "SK": {"S": "A"}})
    # AND the stream holds no record of it
    assert len(table.stream_shard.items) == stream_length
    # AND the index answers as before
    found = client.query(
        TableName=TABLE,
        IndexName="GSI1",
        KeyConditionExpression="GSI1PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "G#kept"}},
    )["Items"]
    assert [item["GSI1SK"]["S"] for item in found] == ["before"]


def test_a_query_after_a_write_reads_only_its_partition(aws, emulator_patches, monkeypatch):
    # GIVEN a table of many partitions, already queried through an index once, then written
    from moto.dynamodb.models.table import Table

    client = _client()
    for i in range(OTHER_PARTITIONS):
        client.put_item(TableName=TABLE, Item=_item(f"T#{i}", "A", GSI1PK=f"G#{i % 7}", GSI1SK=str(i)))
    query = {
        "TableName": TABLE,
        "IndexName": "GSI1",
        "KeyConditionExpression": "GSI1PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": "G#3"}},
    }
    client.query(**query)
    client.put_item(TableName=TABLE, Item=_item("T#late", "A", GSI1PK="G#3", GSI1SK="999"))
    client.update_item(
        TableName=TABLE,
        Key={"PK": {"S": "T#3"}, "SK": {"S": "A"}},
        UpdateExpression="SET GSI1PK = :moved",
        ExpressionAttributeValues={":moved": {"S": "G#moved"}},
    )
    client.delete_item(TableName=TABLE, Key={"PK": {"S": "T#10"}, "SK": {"S": "A"}})
    items_listed = []
    original_all_items = Table.all_items

    def all_items(table):
        listed = original_all_items(table)
        items_listed.append(len(listed))
        return listed

    monkeypatch.setattr(Table, "all_items", all_items)

    # WHEN the index and the table are queried again
    by_index = client.query(**query)["Items"]
    by_table = client.query(
        TableName=TABLE,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "T#17"}},
    )["Items"]

    # THEN no item outside the queried partitions was looked at
    assert items_listed == []
    # AND the answers follow every write: the new item, not the moved or deleted ones
    expected = [str(i) for i in range(OTHER_PARTITIONS) if i % 7 == 3 and i not in (3, 10)]
    assert sorted(item["GSI1SK"]["S"] for item in by_index) == sorted([*expected, "999"])
    assert [item["PK"]["S"] for item in by_table] == ["T#17"]


def _answers(client, table: str) -> list:
    """Every query a reader could make of the items below, as the emulator answers them."""
    answers = []
    for index, attribute in (("GSI1", "GSI1PK"), ("GSI2", "GSI2PK")):
        for value in ("G#a", "G#b", "G#c"):
            for forward in (True, False):
                answers.append(
                    client.query(
                        TableName=table,
                        IndexName=index,
                        KeyConditionExpression=f"{attribute} = :pk",
                        ExpressionAttributeValues={":pk": {"S": value}},
                        ScanIndexForward=forward,
                        Limit=4,
                    )
                )
    for pk in ("T#1", "T#2", "T#3"):
        answers.append(
            client.query(
                TableName=table,
                KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
                ExpressionAttributeValues={":pk": {"S": pk}, ":prefix": {"S": "S#"}},
            )
        )
    return [{key: value for key, value in answer.items() if key != "ResponseMetadata"} for answer in answers]


def _history(client, table: str) -> list:
    """Writes of every kind, with the answers after each step."""
    snapshots = []
    for i in range(24):
        client.put_item(
            TableName=table,
            Item=_item(
                f"T#{i % 3 + 1}", f"S#{i:02d}", GSI1PK=f"G#{'abc'[i % 3]}", GSI1SK=f"{i % 5}", GSI2PK="G#a"
            )
            | {"GSI2SK": {"S": f"{i:02d}"}},
        )
    snapshots.append(_answers(client, table))
    client.update_item(
        TableName=table,
        Key={"PK": {"S": "T#1"}, "SK": {"S": "S#00"}},
        UpdateExpression="SET GSI1PK = :b REMOVE GSI2PK",
        ExpressionAttributeValues={":b": {"S": "G#b"}},
    )
    client.delete_item(TableName=table, Key={"PK": {"S": "T#2"}, "SK": {"S": "S#01"}})
    client.put_item(TableName=table, Item=_item("T#3", "S#02", GSI1PK="G#c", GSI1SK="9"))
    snapshots.append(_answers(client, table))
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": _item("T#1", "S#99", GSI1PK="G#a", GSI1SK="0")}},
            {"Delete": {"TableName": table, "Key": {"PK": {"S": "T#1"}, "SK": {"S": "S#03"}}}},
        ]
    )
    _cancelled_transaction(client, "T#2", "S#77", table)
    client.batch_write_item(
        RequestItems={
            table: [
                {"PutRequest": {"Item": _item("T#2", "S#50", GSI1PK="G#a", GSI1SK="1")}},
                {"DeleteRequest": {"Key": {"PK": {"S": "T#3"}, "SK": {"S": "S#05"}}}},
            ]
        }
    )
    snapshots.append(_answers(client, table))
    return snapshots


def test_the_emulator_answers_as_moto_does(aws):
    # GIVEN writes of every kind made on moto as it is
    from devstack.emulator import cheap_transaction_rollback, indexed_queries
    from infra.template import create_table

    client = _client()
    as_moto = _history(client, TABLE)

    # WHEN the same writes are made on a twin table with the local stack's changes
    create_table(client, "twin")
    with cheap_transaction_rollback(), indexed_queries():
        as_devstack = _history(client, "twin")

    # THEN every query answers the same, item for item and page for page
    assert as_devstack == as_moto
