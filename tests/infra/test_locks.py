"""The lock files are what uv compiles from today's requirements (``make lock``): what
``.venv`` installs and what the functions ship is what the requirements say."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infra.locks import DEV, LAMBDA, LOCKS, compile_lock, pins
from infra.stages import PROJECT_DIR


@pytest.mark.parametrize("lock", LOCKS, ids=lambda lock: lock.path)
def test_lock_is_up_to_date_with_its_requirements(lock, tmp_path):
    # WHEN the lock is compiled again from its requirements and the committed versions
    compiled = compile_lock(lock, tmp_path / Path(lock.path).name)

    # THEN nothing changes: no requirement was added, removed or moved since `make lock`
    assert compiled.read_text(encoding="utf-8") == (PROJECT_DIR / lock.path).read_text(encoding="utf-8"), (
        f"{lock.path} is out of date with {lock.requirements}: run make lock"
    )


def test_a_changed_requirement_makes_its_lock_out_of_date(tmp_path):
    # GIVEN the project with one runtime requirement dropped
    for name in ("requirements.txt", LAMBDA.path, DEV.path):
        shutil.copyfile(PROJECT_DIR / name, tmp_path / name)
    requirements = tmp_path / "requirements.txt"
    kept = [line for line in requirements.read_text().splitlines() if not line.startswith("Jinja2==")]
    requirements.write_text("\n".join(kept) + "\n")

    # WHEN its lock is compiled again
    compiled = compile_lock(LAMBDA, tmp_path / "compiled.lock", project_dir=tmp_path)

    # THEN the lock differs: Jinja2 and MarkupSafe are gone
    assert compiled.read_text() != (PROJECT_DIR / LAMBDA.path).read_text()
    assert {"jinja2", "markupsafe"} & set(pins(LAMBDA, tmp_path)) == {"jinja2", "markupsafe"}
    shutil.copyfile(compiled, tmp_path / LAMBDA.path)
    assert not {"jinja2", "markupsafe"} & set(pins(LAMBDA, tmp_path))


def test_functions_ship_the_versions_the_tests_run():
    dev, shipped = pins(DEV), pins(LAMBDA)

    assert shipped and {name: dev.get(name) for name in shipped} == shipped
