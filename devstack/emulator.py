"""The embedded AWS emulator (moto), made faithful enough for concurrency.

DynamoDB applies each request atomically. moto does not lock: two threads running
transactions at once can interleave, and its rollback of a cancelled transaction
can undo another thread's write. Serializing DynamoDB requests restores the
service's guarantee without hiding races in our own code, since every read and
every write is still a separate request that other clients can come between.
"""
from __future__ import annotations

import functools
import threading

_lock = threading.RLock()
_installed = False


def serialize_dynamodb_requests() -> None:
    global _installed
    if _installed:
        return
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    @functools.wraps(original)
    def call_action(self):
        with _lock:
            return original(self)

    DynamoHandler.call_action = call_action
    _installed = True
