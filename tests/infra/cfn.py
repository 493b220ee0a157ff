"""Reading parsed templates in tests: names built with Fn::Sub, and cross-stack imports."""

from __future__ import annotations

import re
from typing import Any


def sub(node: Any, **parameters: str) -> str:
    """Resolve a literal, ``Ref`` to a parameter or ``Fn::Sub`` over parameters only."""
    if isinstance(node, str):
        return node
    if list(node) == ["Ref"]:
        return parameters[node["Ref"]]
    if list(node) == ["Fn::Sub"] and isinstance(node["Fn::Sub"], str):
        return re.sub(r"\$\{([A-Za-z0-9:]+)\}", lambda m: parameters[m[1]], node["Fn::Sub"])
    raise ValueError(f"not a name built from parameters: {node!r}")


def imported_name(node: Any, stage: str) -> str:
    """The export name an ``Fn::ImportValue`` reads."""
    assert list(node) == ["Fn::ImportValue"], node
    return sub(node["Fn::ImportValue"], Stage=stage)


def exported(stateful: dict[str, Any], import_node: Any, stage: str) -> Any:
    """The value the stateful stack exports under the name ``import_node`` imports."""
    name = imported_name(import_node, stage)
    exports = {
        sub(output["Export"]["Name"], Stage=stage): output["Value"]
        for output in stateful["Outputs"].values()
        if "Export" in output
    }
    assert name in exports, f"{name} is imported but the stateful stack does not export it"
    return exports[name]
