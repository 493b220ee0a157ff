"""schemathesis against the running local stack, from the project's own /openapi.json:
no 5xx, no response outside the schema, no invalid input accepted, no valid input refused."""

from __future__ import annotations

import re

from devstack.fuzz import fuzz

# Bounded for make test; `python -m devstack fuzz --max-examples 1000` is the long run.
MAX_EXAMPLES = 15
SEED = 20261128


def test_the_api_survives_fuzzing_from_its_own_contract(stack, tmp_path, capsys):
    log = tmp_path / "schemathesis.log"
    with log.open("w") as output:
        status = fuzz(stack.state_dir, MAX_EXAMPLES, SEED, output=output)
    text = log.read_text()
    summary = re.search(r"^Test cases:\n\s+(.*)$", text, re.MULTILINE)
    with capsys.disabled():
        print(f"\nschemathesis: {summary.group(1) if summary else 'no summary'}")
    assert status == 0, text[-6000:]
    assert "14/14" in text


def test_the_fuzzer_knows_the_text_rule_beyond_what_the_patterns_name():
    import tomllib

    from devstack.fuzz import CONFIG
    from devstack.fuzz_hooks import beyond_the_pattern

    # GIVEN the hooks the fuzzer's configuration loads
    assert tomllib.loads(CONFIG.read_text())["hooks"] == "devstack.fuzz_hooks"
    # THEN a body is left out only for a character the rule refuses beyond the BMP
    # (the patterns refuse the others, so schemathesis already counts them invalid)
    assert beyond_the_pattern({"comment": "tag \U000e0041"})
    assert beyond_the_pattern({"name": "x", "description": "unassigned \U0003fffe"})
    assert beyond_the_pattern(["private \U0010fffd"])
    assert not beyond_the_pattern({"comment": "Données ouvertes 🎉👍🏽 数据 \u202e"})
    assert not beyond_the_pattern({"role": "admin"})
