"""pipeline.yaml: its shape, its DAG, its paths, and parameter templating."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from scalelab.errors import InvalidInput
from scalelab.runs.pipeline import load_pipeline, render_parameters
from tests.runs.conftest import write_notebook


def make(tmp_path: Path, steps: str, params: str = "n: 3") -> Path:
    for name in ("a", "b", "c"):
        write_notebook(tmp_path / f"{name}.ipynb", "n = 1")
    (tmp_path / "pipeline.yaml").write_text(f"name: demo\nparameters:\n  {params}\nsteps:\n{steps}")
    return tmp_path / "pipeline.yaml"


STEPS = """\
  - {name: a, notebook: a.ipynb}
  - {name: b, notebook: b.ipynb, needs: [a], parameters: {n: "{{ params.n }}"}}
  - {name: c, notebook: c.ipynb, needs: [a], parameters: {label: "n={{ params.n }}"}}
"""


def test_waves_run_independent_steps_together(tmp_path: Path) -> None:
    pipeline = load_pipeline(make(tmp_path, STEPS))
    assert pipeline.order() == [["a"], ["b", "c"]]


def test_templates_fill_in_pipeline_parameters(tmp_path: Path) -> None:
    pipeline = load_pipeline(make(tmp_path, STEPS))
    assert render_parameters(pipeline.step("b"), {"n": 7}) == {"n": 7}
    assert render_parameters(pipeline.step("c"), {"n": 7}) == {"label": "n=7"}
    with pytest.raises(InvalidInput, match="unknown pipeline parameter 'n'"):
        render_parameters(pipeline.step("b"), {})


def test_templates_cannot_reach_python(tmp_path: Path) -> None:
    steps = '  - {name: a, notebook: a.ipynb, parameters: {x: "{{ params.__class__.__mro__ }}"}}\n'
    pipeline = load_pipeline(make(tmp_path, steps))
    with pytest.raises(InvalidInput):
        render_parameters(pipeline.step("a"), {"n": 1})


@pytest.mark.parametrize(
    ("steps", "fragment"),
    [
        (
            "  - {name: a, notebook: a.ipynb, needs: [b]}\n"
            "  - {name: b, notebook: b.ipynb, needs: [a]}\n",
            "cycle",
        ),
        ("  - {name: a, notebook: a.ipynb, needs: [zzz]}\n", "needs unknown step(s): zzz"),
        ("  - {name: a, notebook: missing.ipynb}\n", "notebook 'missing.ipynb' not found"),
        ("  - {name: a, notebook: ../outside.ipynb}\n", "may not contain '..'"),
        ("  - {name: a, notebook: /etc/passwd}\n", "absolute path"),
        ("  - {name: a, notebook: a.ipynb, outputs: ['%2e%2e/x']}\n", "may not contain '..'"),
        ("  - {name: a, notebook: a.ipynb}\n  - {name: a, notebook: b.ipynb}\n", "unique"),
        ("  - {name: a, notebook: a.ipynb, colour: red}\n", "Extra inputs are not permitted"),
        ("  - {name: 'a b', notebook: a.ipynb}\n", "steps.0.name"),
    ],
)
def test_bad_pipelines_are_refused_naming_the_problem(
    tmp_path: Path, steps: str, fragment: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        load_pipeline(make(tmp_path, steps))
    assert fragment in info.value.message


def test_symlinked_notebook_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    outside = write_notebook(tmp_path / "elsewhere" / "x.ipynb", "n = 1")
    project = tmp_path / "project"
    project.mkdir()
    (project / "link.ipynb").symlink_to(outside)
    (project / "pipeline.yaml").write_text("name: p\nsteps:\n  - {name: a, notebook: link.ipynb}\n")
    with pytest.raises(InvalidInput, match="outside"):
        load_pipeline(project / "pipeline.yaml")


def test_invalid_yaml_is_named(tmp_path: Path) -> None:
    (tmp_path / "pipeline.yaml").write_text("name: [unclosed\n")
    with pytest.raises(InvalidInput, match="not valid YAML"):
        load_pipeline(tmp_path / "pipeline.yaml")


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("{{ 10 ** 5000 }}", "power too large"),  # would not print: over 4300 digits
        ("{{ 9 ** 999999999 }}", "power too large"),  # would compute for minutes
        ("{{ params.n ** params.n ** 999999 }}", "power too large"),
        ("{{ 10 ** 1000 * 10 ** 1000 * 10 ** 1000 * 10 ** 1000 * 10 ** 1000 }}", "product"),
        ("{{ 'x' * 10 ** 10 }}", "repetition too long"),  # would fill the memory
        ("{{ [0] * 10 ** 10 }}", "repetition too long"),
        ("{{ '%0999999999d' % 1 }}", "format width too large"),
        ("{{ '%*d' % (999999999, 1) }}", "format width too large"),
    ],
)
def test_template_arithmetic_is_bounded(tmp_path: Path, template: str, fragment: str) -> None:
    steps = f'  - {{name: a, notebook: a.ipynb, parameters: {{x: "{template}"}}}}\n'
    pipeline = load_pipeline(make(tmp_path, steps))
    started = time.monotonic()
    with pytest.raises(InvalidInput, match=fragment):
        render_parameters(pipeline.step("a"), {"n": 9})
    assert time.monotonic() - started < 1


def test_modest_template_arithmetic_still_works(tmp_path: Path) -> None:
    steps = (
        '  - {name: a, notebook: a.ipynb, parameters: {x: "{{ 2 ** 100 }}", '
        "y: \"{{ 'ab' * params.n }}\", z: \"{{ '%05d' % params.n }}\"}}\n"
    )
    pipeline = load_pipeline(make(tmp_path, steps))
    assert render_parameters(pipeline.step("a"), {"n": 3}) == {
        "x": str(2**100),
        "y": "ababab",
        "z": "00003",
    }
