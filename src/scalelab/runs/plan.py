"""What a run will do, checked before anything runs: the steps, their notebooks and values."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from ..paths import PathOutsideRoot, resolve_inside
from .hooks import RunHooks
from .parameters import Parameter, check_values, inspect_parameters, read_notebook
from .pipeline import load_pipeline, render_parameters


@dataclass
class PlannedStep:
    name: str
    notebook: str  # relative to the run's working folder
    parameters: dict[str, Any]
    needs: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    cell_timeout: float | None = None
    kernel: str = "python3"
    profile: list[str] = field(default_factory=list)  # outputs to profile once it succeeded


@dataclass
class Plan:
    kind: str  # notebook | pipeline
    target: str
    workdir: Path
    parameters: dict[str, Any]
    steps: list[PlannedStep]
    waves: list[list[str]]
    kernel: str
    # Per-run choices; None leaves the executor's own setting.
    fresh: bool | None = None
    retries: int | None = None
    step_timeout: float | None = None
    run_as: str | None = None  # OS account of the kernels (system-users mode); None: ours
    hooks: RunHooks | None = None  # told as the run goes (experiment tracking)
    # Environment of the run's kernels: for every step, and per step; filled in by the hooks.
    env: dict[str, str] = field(default_factory=dict)
    step_env: dict[str, dict[str, str]] = field(default_factory=dict)


def _pipeline_parameter(name: str, default: Any) -> Parameter:
    kind = type(default).__name__
    return Parameter(
        name,
        kind if kind in ("int", "float", "str", "bool", "list", "dict") else "None",
        repr(default),
        "",
    )


def make_plan(
    workdir: Path,
    target: str,
    given: dict[str, Any],
    *,
    from_text: bool = False,
    kernel: str = "",
) -> Plan:
    """Check `target` (a notebook or a pipeline.yaml inside `workdir`) and the given values."""
    try:
        path = resolve_inside(workdir, target)
    except PathOutsideRoot as exc:
        raise InvalidInput(str(exc)) from None
    relative = str(path.relative_to(workdir.resolve()))
    if not path.is_file():
        raise InvalidInput(f"{target!r} not found")
    if path.suffix == ".ipynb":
        declared = inspect_parameters(path)
        values = check_values(declared, given, from_text=from_text)
        step = PlannedStep(path.stem, relative, values)
        return Plan(
            "notebook", relative, workdir, values, [step], [[step.name]], kernel or _kernel_of(path)
        )
    if path.suffix not in (".yaml", ".yml"):
        raise InvalidInput(f"{target!r} is neither a notebook (.ipynb) nor a pipeline (.yaml)")
    pipeline = load_pipeline(path)
    folder = path.parent
    declared_pipeline = {n: _pipeline_parameter(n, v) for n, v in pipeline.parameters.items()}
    params = {**pipeline.parameters, **check_values(declared_pipeline, given, from_text=from_text)}
    steps = []
    base = folder.resolve().relative_to(workdir.resolve())
    for step in pipeline.steps:
        values = render_parameters(step, params)
        notebook = folder / step.notebook
        try:
            values = check_values(inspect_parameters(notebook), values)
        except InvalidInput as exc:
            raise InvalidInput(f"step {step.name!r}: {exc.message}") from None
        steps.append(
            PlannedStep(
                step.name,
                str(base / step.notebook),
                values,
                step.needs,
                [str(base / p) for p in step.inputs],
                [str(base / p) for p in step.outputs],
                step.timeout,
                kernel or _kernel_of(notebook),
                [str(base / p) for p in step.profile],
            )
        )
    first = folder / pipeline.steps[0].notebook
    return Plan(
        "pipeline", relative, workdir, params, steps, pipeline.order(), kernel or _kernel_of(first)
    )


def _kernel_of(notebook: Path) -> str:
    spec = read_notebook(notebook).metadata.get("kernelspec")
    return str((spec.get("name") if isinstance(spec, dict) else None) or "python3")
