"""``make help`` lists every target, from the targets' own ``## `` comments, and is what
``make`` alone prints."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.make import make

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _phony_targets() -> set[str]:
    """Every .PHONY target of the Makefile and the files it includes, as make reads them."""
    database = make("--print-data-base", "--question", "help").stdout
    [line] = [line for line in database.splitlines() if line.startswith(".PHONY:")]
    return set(line.removeprefix(".PHONY:").split())


def test_make_help_lists_every_target_with_what_it_does():
    # GIVEN the targets the makefiles declare
    targets = _phony_targets()
    assert {"run", "test", "token", "outbox", "package", "deploy", "help"} <= targets
    # WHEN make help runs
    result = make("help")
    # THEN each target has its line, with a description
    assert result.returncode == 0, result.stderr
    described = dict(re.findall(r"^  (\S+) +(\S.*)$", result.stdout, re.MULTILINE))
    assert set(described) == targets
    assert (
        described["token"]
        == "a fresh ID token of a demo user of the running stack (WHO=alice, or USER=alice)"
    )


def test_make_alone_prints_the_help():
    assert make().stdout == make("help").stdout
