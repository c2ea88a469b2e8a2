"""The extension's generated API types stay in step with the service's OpenAPI document.

extension/src/common/openapi.ts is openapi-typescript's output for the document that
`python -m scalelab.service.openapi` prints; `make api-types` regenerates it.
"""

from __future__ import annotations

import difflib
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scalelab.service.openapi import openapi_json

EXTENSION = Path(__file__).resolve().parents[2] / "extension"
GENERATED = EXTENSION / "src" / "common" / "openapi.ts"
GENERATOR = EXTENSION / "node_modules" / ".bin" / "openapi-typescript"
SCRIPT = "generate:api"
OUTPUT_FLAGS = ("--output", "-o")


def generator_arguments(output: Path) -> list[str]:
    """The arguments of package.json's `generate:api` script, writing to `output` instead."""
    scripts = json.loads((EXTENSION / "package.json").read_text())["scripts"]
    program, *args = shlex.split(scripts[SCRIPT])
    assert program == "openapi-typescript", f"{SCRIPT} should run openapi-typescript alone"
    flags = [i for i, arg in enumerate(args) if arg in OUTPUT_FLAGS]
    assert len(flags) == 1, f"{SCRIPT} should name its output once, with --output"
    at = flags[0] + 1
    assert (EXTENSION / args[at]).resolve() == GENERATED.resolve(), (
        f"{SCRIPT} should write {GENERATED}"
    )
    return [*args[:at], str(output), *args[at + 1 :]]


def generate(output: Path) -> None:
    if not GENERATOR.exists():
        pytest.skip(f"{GENERATOR} is missing: install the extension's packages (jlpm install)")
    node = shutil.which("node")
    assert node is not None, "node is needed to run openapi-typescript"
    done = subprocess.run(
        [node, str(GENERATOR), *generator_arguments(output)],
        input=openapi_json(),
        cwd=EXTENSION,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"openapi-typescript failed:\n{done.stdout}\n{done.stderr}"


def test_generated_api_types_match_the_openapi_document(tmp_path: Path) -> None:
    fresh = tmp_path / "openapi.ts"
    generate(fresh)
    expected = fresh.read_text()
    committed = GENERATED.read_text() if GENERATED.exists() else ""
    if committed != expected:
        diff = difflib.unified_diff(
            committed.splitlines(keepends=True),
            expected.splitlines(keepends=True),
            "committed " + GENERATED.relative_to(EXTENSION.parent).as_posix(),
            "generated from the OpenAPI document",
        )
        shown = "".join(list(diff)[:80])
        pytest.fail(
            f"{GENERATED.name} is out of date with the service's models: run `make api-types` "
            f"and commit the result.\n{shown}",
            pytrace=False,
        )


def test_the_document_prints_without_a_running_service() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scalelab.service.openapi"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout == openapi_json()
    assert json.loads(done.stdout)["components"]["schemas"]["RunModel"]["type"] == "object"
