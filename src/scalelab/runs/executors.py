"""Executors by short name: the `scalelab.executors` entry-point group.

`c.ScaleLab.executor_class` and `scalelab run --executor` take the same names, and an import
string (`package.module.Class`) for an executor no package registers. A package adds its own as
`[project.entry-points."scalelab.executors"] name = "package.module:Class"`.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

from traitlets.utils.importstring import import_item

from ..errors import InvalidInput
from .executor import Executor

GROUP = "scalelab.executors"


def registered() -> dict[str, EntryPoint]:
    # Lower-cased, as jupyterhub's EntryPointType (behind executor_class) looks them up.
    return {ep.name.lower(): ep for ep in entry_points(group=GROUP)}


def executor_names() -> list[str]:
    return sorted(registered())


def find_executor(name: str) -> type[Executor]:
    """The executor registered as `name`, or imported from `name` when it is dotted."""
    entry = registered().get(name.lower())
    found: object = None
    if entry is not None:
        found = entry.load()
    elif "." in name:
        try:
            found = import_item(name)
        except (ImportError, AttributeError, ValueError):
            found = None
    if not (isinstance(found, type) and issubclass(found, Executor)):
        raise InvalidInput(
            f"unknown executor {name!r} (installed: {', '.join(executor_names()) or 'none'})"
        )
    return found
