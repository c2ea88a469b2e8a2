"""pipeline.yaml: notebooks as steps of one job, with parameters, `needs`, inputs and outputs."""

from __future__ import annotations

import re
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import yaml
from jinja2 import StrictUndefined, TemplateError
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InvalidInput
from ..paths import PathOutsideRoot, resolve_inside

STEP_NAME = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"
_WHOLE = re.compile(r"^\{\{\s*params\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")
# Results templates may compute: an int fits in 4096 bits (1234 digits, printable), a repeated
# string or list has 64 Ki items at most. Enough for any parameter, and quick to compute.
MAX_INT_BITS = 4096
MAX_REPEAT = 64 * 1024
_FORMAT_SIZES = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


class BoundedSandbox(SandboxedEnvironment):
    """The sandbox, also refusing arithmetic whose result would pin the service.

    `{{ 9**999999999 }}` would compute for minutes, `{{ 'x' * 10**10 }}` fill the memory, and
    `{{ '%099999999d' % 1 }}` both: these are refused before they are computed.
    """

    intercepted_binops = frozenset(("**", "*", "%"))

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            _check_power(left, right)
        elif operator == "*":
            _check_product(left, right)
        elif operator == "%" and isinstance(left, str):
            _check_format(left)
        return super().call_binop(context, operator, left, right)


def _check_power(base: Any, exponent: Any) -> None:
    if not (isinstance(base, int) and isinstance(exponent, int)) or abs(base) < 2:
        return  # floats overflow quickly by themselves; 0 and 1 stay small
    if exponent > 0 and abs(base).bit_length() * exponent > MAX_INT_BITS:
        raise SecurityError(f"power too large: more than {MAX_INT_BITS} bits")


def _check_product(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise SecurityError(f"product too large: more than {MAX_INT_BITS} bits")
        return
    for seq, times in ((left, right), (right, left)):
        sequence = isinstance(seq, (str, list, tuple)) and isinstance(times, int)
        if sequence and len(seq) * times > MAX_REPEAT:
            raise SecurityError(f"repetition too long: more than {MAX_REPEAT} items")


def _check_format(text: str) -> None:
    for match in _FORMAT_SIZES.finditer(text):
        for size in match.groups():
            if size == "*" or (size and int(size) > MAX_REPEAT):
                raise SecurityError(f"format width too large: more than {MAX_REPEAT}")


_templates = BoundedSandbox(undefined=StrictUndefined, autoescape=False)


class StepSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=STEP_NAME)
    notebook: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    needs: list[str] = Field(default_factory=list)
    inputs: list[str] = Field(default_factory=list)
    outputs: list[str] = Field(default_factory=list)
    profile: list[str] = Field(
        default_factory=list,
        description="outputs (CSV or Parquet) whose data profile is kept with the run, for "
        "data-set monitors",
    )
    timeout: float | None = Field(default=None, gt=0, description="seconds per cell")


class Pipeline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=dict)
    steps: list[StepSpec] = Field(min_length=1)

    def order(self) -> list[list[str]]:
        """Steps in waves: every step of a wave only needs steps of earlier waves."""
        sorter = TopologicalSorter({s.name: s.needs for s in self.steps})
        sorter.prepare()
        waves = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready())
            waves.append(ready)
            sorter.done(*ready)
        return waves

    def step(self, name: str) -> StepSpec:
        return next(s for s in self.steps if s.name == name)


def load_pipeline(path: Path) -> Pipeline:
    """Read and check a pipeline.yaml: its shape, its DAG, and that its files stay inside."""
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path.name} is not valid YAML: {exc}") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path.name}: {exc.strerror}") from None
    try:
        pipeline = Pipeline.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidInput(f"{path.name}: {problems}") from None
    check_pipeline(pipeline, path.parent)
    return pipeline


def check_pipeline(pipeline: Pipeline, folder: Path) -> None:
    names = [s.name for s in pipeline.steps]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidInput(f"step names must be unique; repeated: {', '.join(duplicates)}")
    for step in pipeline.steps:
        unknown = [n for n in step.needs if n not in names]
        if unknown:
            raise InvalidInput(f"step {step.name!r} needs unknown step(s): {', '.join(unknown)}")
        for kind, paths in (
            ("notebook", [step.notebook]),
            ("input", step.inputs),
            ("output", step.outputs),
        ):
            for relative in paths:
                try:
                    resolve_inside(folder, relative)
                except PathOutsideRoot as exc:
                    raise InvalidInput(f"step {step.name!r}: {kind} {exc}") from None
        if not (folder / step.notebook).is_file():
            raise InvalidInput(f"step {step.name!r}: notebook {step.notebook!r} not found")
        stray = [p for p in step.profile if p not in step.outputs]
        if stray:
            raise InvalidInput(
                f"step {step.name!r}: profile lists {', '.join(stray)}, not among its outputs"
            )
    try:
        pipeline.order()
    except CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise InvalidInput(f"the steps' needs form a cycle: {cycle}") from None


def render_parameters(step: StepSpec, params: dict[str, Any]) -> dict[str, Any]:
    """The step's parameters with `{{ params.x }}` filled in from the pipeline's parameters.

    A value that is only `{{ params.x }}` takes x as it is (a number stays a number); other
    templates are rendered to text, in a sandbox.
    """
    out: dict[str, Any] = {}
    for name, value in step.parameters.items():
        if isinstance(value, str) and "{{" in value:
            whole = _WHOLE.match(value)
            try:
                if whole:
                    if whole.group(1) not in params:
                        raise InvalidInput(
                            f"step {step.name!r}: parameter {name!r} uses unknown "
                            f"pipeline parameter {whole.group(1)!r}"
                        )
                    value = params[whole.group(1)]
                else:
                    value = _templates.from_string(value).render(params=params)
            except InvalidInput:
                raise
            except TemplateError as exc:
                raise InvalidInput(f"step {step.name!r}: parameter {name!r}: {exc}") from None
            except Exception as exc:  # the expression's own error: {{ params.n / 0 }}
                raise InvalidInput(
                    f"step {step.name!r}: parameter {name!r}: {exc.__class__.__name__}: {exc}"
                ) from None
        out[name] = value
    return out
