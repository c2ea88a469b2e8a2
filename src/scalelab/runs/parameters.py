"""A notebook's parameters (its papermill `parameters` cell), and checks of given values.

Values are checked before any kernel starts. papermill writes them into the notebook as Python
literals, so a value is only ever data: a string full of code stays a string.
"""

from __future__ import annotations

import ast
import json
import keyword
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidInput

MAX_VALUE_BYTES = 64 * 1024
MAX_TOTAL_BYTES = 1024 * 1024
TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (float, int),
    "str": (str,),
    "bool": (bool,),
    "list": (list,),
    "dict": (dict,),
}
TRUE, FALSE = {"true", "yes", "1", "on"}, {"false", "no", "0", "off"}


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str  # int, float, str, bool, list, dict, or "None" when papermill cannot tell
    default: str  # the default as written in the notebook
    help: str


def read_notebook(path: Path) -> Any:
    """The notebook at `path` (an nbformat v4 node), or InvalidInput naming the file.

    A workspace file can hold anything; what is wrong with it is the requester's to fix.
    """
    import nbformat

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path.name}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path.name} is not a notebook: it is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(f"{path.name} is not a notebook: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path.name} is not a notebook: its JSON is not an object") from None
    try:
        return nbformat.reads(text, as_version=4)
    except (ValueError, TypeError, AttributeError, KeyError, nbformat.ValidationError) as exc:
        raise InvalidInput(f"{path.name} is not a valid notebook: {str(exc)[:300]}") from None


def inspect_parameters(notebook: Path) -> dict[str, Parameter]:
    """The parameters declared in the notebook's cell tagged `parameters`."""
    from papermill.inspection import inspect_notebook  # slow import, needed here only

    read_notebook(notebook)  # papermill's errors on a broken file would not name it
    try:
        found = inspect_notebook(str(notebook))
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise InvalidInput(f"cannot read the parameters of {notebook.name}: {exc}") from None
    return {
        name: Parameter(
            name, _type_of(p["inferred_type_name"], p["default"]), p["default"], p["help"]
        )
        for name, p in found.items()
    }


def _type_of(annotated: str, default: str) -> str:
    """The annotated type if any (`x: int = 1`), else the type of the default's literal."""
    if annotated in TYPES:
        return annotated
    try:
        value = ast.literal_eval(default)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return "None"  # an expression: any value goes
    name = type(value).__name__
    return name if name in TYPES else "None"


def json_default(source: str) -> tuple[Any, str | None]:
    """A notebook's default as (its JSON value, None); (None, `source`) when it is no literal
    JSON can hold (an expression, a tuple, a NaN): clients then show the source as written."""
    try:
        value = ast.literal_eval(source)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None, source
    return (value, None) if is_json_data(value) else (None, source)


def is_json_data(value: Any) -> bool:
    """Whether JSON gives `value` back as it is (not a tuple as a list, nor 1: as "1":)."""
    try:
        return bool(json.loads(json.dumps(value, allow_nan=False)) == value)
    except (TypeError, ValueError, RecursionError):
        return False


def _coerce_text(param: Parameter, text: str) -> Any:
    """A value typed on a command line (`-p name=value`), read as the declared type."""
    kind = param.type
    try:
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
        if kind == "bool":
            lowered = text.strip().lower()
            if lowered in TRUE | FALSE:
                return lowered in TRUE
            raise ValueError(text)
        if kind in ("list", "dict"):
            value = json.loads(text)
            if not isinstance(value, TYPES[kind]):
                raise ValueError(text)
            return value
    except (ValueError, RecursionError):
        raise InvalidInput(f"parameter {param.name!r} expects {kind}, got {text[:80]!r}") from None
    return text


def check_values(
    declared: Mapping[str, Parameter],
    given: Mapping[str, Any],
    *,
    from_text: bool = False,
    max_value_bytes: int = MAX_VALUE_BYTES,
    max_total_bytes: int = MAX_TOTAL_BYTES,
) -> dict[str, Any]:
    """The given values, checked against the declared parameters (and read from text if asked).

    Every problem is reported at once, in one InvalidInput.
    """
    problems: list[str] = []
    values: dict[str, Any] = {}
    total = 0
    for name, raw in given.items():
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            problems.append(f"{name!r} is not a valid parameter name")
            continue
        param = declared.get(name)
        if param is None:
            allowed = ", ".join(sorted(declared)) or "none"
            problems.append(f"unknown parameter {name!r} (this notebook takes: {allowed})")
            continue
        try:
            value = _coerce_text(param, raw) if from_text and isinstance(raw, str) else raw
        except InvalidInput as exc:
            problems.append(exc.message)
            continue
        expected = TYPES.get(param.type)
        if expected and (
            not isinstance(value, expected) or (param.type != "bool" and isinstance(value, bool))
        ):
            problems.append(f"parameter {name!r} expects {param.type}, got {type(value).__name__}")
            continue
        try:
            size = len(json.dumps(value))
        except (TypeError, ValueError, RecursionError):
            problems.append(f"parameter {name!r} is not JSON data (or is nested too deep)")
            continue
        if size > max_value_bytes:
            problems.append(
                f"parameter {name!r} takes {size} bytes, more than {max_value_bytes} allowed"
            )
            continue
        total += size
        values[name] = value
    if total > max_total_bytes:
        problems.append(f"parameters take {total} bytes in all, more than {max_total_bytes}")
    if problems:
        raise InvalidInput("; ".join(problems))
    return values


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """`["a=1", "b=x=y"]` -> {"a": "1", "b": "x=y"} (the CLI's `-p name=value`)."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise InvalidInput(f"expected name=value, got {pair!r}")
        out[name.strip()] = value
    return out
