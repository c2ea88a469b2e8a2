from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_notebook


def write_notebook(path: Path, params: str, *body: str, kernel: str = "python3") -> Path:
    """A notebook with a `parameters` cell and code cells."""
    nb = new_notebook(
        cells=[new_code_cell(params, metadata={"tags": ["parameters"]})]
        + [new_code_cell(src) for src in body]
    )
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": kernel, "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def copy_example(dest: Path) -> Path:
    """The example project of notebooks/, without what running it in place leaves behind."""
    from scalelab.workspaces import EXAMPLE_LEFT_OUT, example_notebooks_dir

    shutil.copytree(example_notebooks_dir(), dest, ignore=shutil.ignore_patterns(*EXAMPLE_LEFT_OUT))
    return dest


def outputs_text(nb: Any) -> str:
    chunks = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            chunks.append(out.get("text", "") or str(out.get("data", {}).get("text/plain", "")))
    return "".join(chunks)
