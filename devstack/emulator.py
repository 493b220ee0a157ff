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


def port_is_free(host: str, port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class Emulator:
    """A moto server on 127.0.0.1, in this process, with DynamoDB made atomic."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._server = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        import logging

        from moto.server import ThreadedMotoServer

        serialize_dynamodb_requests()
        # One line per emulated AWS call drowns what a developer wants to read.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
