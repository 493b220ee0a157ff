"""The deployment package carries compiled bytecode that Lambda's read-only folder can use
as it is (bench/RESULTS.md, cold starts, says what it saves)."""

from __future__ import annotations

import importlib.util
import sys
import zipfile
from pathlib import PurePosixPath

UNCHECKED_HASH = 0b01  # PEP 552: hash-based, source not checked
# What Python 3.13 writes first in a .pyc (importlib's MAGIC_NUMBER): any other version's
# bytecode would be ignored by Lambda's python3.13 and each module compiled at every cold start.
PYTHON_313_MAGIC = (3571).to_bytes(2, "little") + b"\r\n"


def _bytecode_of(source: str) -> str:
    path = PurePosixPath(source)
    tag = sys.implementation.cache_tag
    return str(path.parent / "__pycache__" / f"{path.stem}.{tag}.pyc").removeprefix("./")


def test_every_module_ships_with_bytecode_python_uses_without_checking_the_source(packaged):
    # GIVEN the dev stage's deployment package
    with zipfile.ZipFile(packaged("dev").parent / "deployment.zip") as package:
        names = set(package.namelist())
        sources = [name for name in names if name.endswith(".py")]
        # THEN each module of the application and of its dependencies has its bytecode
        missing = [source for source in sources if _bytecode_of(source) not in names]
        assert sources and not missing, missing[:5]
        for source in (
            "app.py",
            "chalicelib/persistence/membership.py",
            "pynamodb/models.py",
            "botocore/client.py",
        ):
            header = package.read(_bytecode_of(source))[:8]
            # AND it is Python 3.13's (the runtime's), hash-based and never re-validated
            assert header[:4] == PYTHON_313_MAGIC == importlib.util.MAGIC_NUMBER
            assert int.from_bytes(header[4:8], "little") == UNCHECKED_HASH
