"""Execute one notebook with given parameters in a ready kernel, keeping its output notebook.

papermill injects the parameters (as a cell after the one tagged `parameters`) and marks a
failing cell; nbclient runs the cells. The output notebook is written as each cell completes,
so a failed or cancelled step keeps what it did, and is made read-only when the step ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from .kernels import ReadyKernel


@dataclass
class StepOutcome:
    status: str  # succeeded | failed | cancelled
    error: str | None = None
    failed_cell: int | None = None


def write_notebook(nb: Any, path: Path, *, final: bool = False) -> None:
    """Replace `path` atomically; a final output notebook becomes read-only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    partial = path.with_name(f".{path.name}.partial")
    nbformat.write(nb, partial)
    os.replace(partial, path)
    if final:
        path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)


def prepare_notebook(source: Path, parameters: dict[str, Any]) -> Any:
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    nb = load_notebook_node(str(source))
    return parameterize_notebook(nb, parameters) if parameters else nb


def _mark_failure(nb: Any, cell_index: int, message: str) -> None:
    """Flag the failing cell and say so at the top, as papermill does."""
    cell = nb.cells[cell_index]
    cell.metadata.setdefault("scalelab", {})["status"] = "failed"
    banner = nbformat.v4.new_markdown_cell(
        f'<span style="color:red; font-weight:bold">Step failed at cell {cell_index}:</span> '
        f"{message}",
        metadata={"tags": ["scalelab-error"]},
    )
    nb.cells.insert(0, banner)


def stopped_cleanly(exc: CellExecutionError) -> bool:
    """`sys.exit()`, `sys.exit(0)` or `raise SystemExit`: a notebook's way to say it is done
    (nothing to do today). papermill counts it a success; people moving from it rely on that."""
    return exc.ename == "SystemExit" and exc.evalue in ("", "0")


async def execute_notebook(
    nb: Any,
    output: Path,
    kernel: ReadyKernel,
    *,
    cell_timeout: float | None = None,
    on_cell: Callable[[int, int], None] | None = None,
) -> StepOutcome:
    """Run every cell of `nb` in `kernel`, writing `output` as it goes. Never raises for the
    notebook's own errors: they come back in the outcome, and in the output notebook."""
    client = NotebookClient(
        nb,
        km=kernel.manager,
        timeout=cell_timeout if cell_timeout else -1,
        kernel_name=kernel.name,
        allow_errors=False,
        record_timing=True,
    )
    client.kc = kernel.client  # ready already: skips nbclient's own wait_for_ready
    total = len(nb.cells)
    index = -1
    try:
        # Not nbclient's async_setup_kernel: the kernel is ready, and it would take over the
        # process's SIGINT/SIGTERM for the step and leave them at their defaults after it,
        # which in the service means no clean stop.
        for index, cell in enumerate(nb.cells):
            await client.async_execute_cell(cell, index, execution_count=None)
            write_notebook(nb, output)
            if on_cell:
                on_cell(index + 1, total)
        outcome = StepOutcome("succeeded")
    except CellTimeoutError:
        outcome = StepOutcome("failed", f"cell {index} ran longer than {cell_timeout:g}s", index)
    except CellExecutionError as exc:
        if stopped_cleanly(exc):
            outcome = StepOutcome("succeeded")  # the cells after it are not run
        else:
            outcome = StepOutcome("failed", f"{exc.ename}: {exc.evalue}", index)
    except DeadKernelError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            # nbclient reports any cancellation of a cell as a dead kernel: this one was ours.
            outcome = StepOutcome("cancelled", "cancelled", index)
            _finish(nb, output, outcome)
            raise asyncio.CancelledError from None
        outcome = StepOutcome("failed", "the kernel died", index)
    except asyncio.CancelledError:
        outcome = StepOutcome("cancelled", "cancelled", index if index >= 0 else None)
        _finish(nb, output, outcome)
        raise
    _finish(nb, output, outcome)
    return outcome


def _finish(nb: Any, output: Path, outcome: StepOutcome) -> None:
    if outcome.failed_cell is not None and outcome.status != "succeeded":
        _mark_failure(nb, outcome.failed_cell, outcome.error or outcome.status)
    with contextlib.suppress(OSError):
        write_notebook(nb, output, final=True)
