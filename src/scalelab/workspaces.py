"""Project workspaces on disk: create from a template, archive, restore from trash, remove."""

from __future__ import annotations

import re
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$|^[a-z0-9]{3}$")
SLUG_RULE = (
    "3-40 characters: lowercase letters, digits and dashes, not starting or ending with a dash"
)


class InvalidSlug(ValueError):
    pass


def check_slug(slug: str) -> str:
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise InvalidSlug(f"invalid project slug {slug!r}: {SLUG_RULE}")
    return slug


# A template fills a new, empty workspace folder. Other packages add templates through the
# `scalelab.project_templates` entry point group (name -> callable(Path)).
Template = Callable[[Path], None]


# What running the example in place leaves behind: not part of the template.
EXAMPLE_LEFT_OUT = (
    ".ipynb_checkpoints",
    "__pycache__",
    ".scalelab-runs",
    "data",
    "models",
    "reports",
    "mlflow.db",  # MLflow's default store, when run outside ScaleLab
    "mlruns",
    ".scalelab",  # tuning studies
)


def example_notebooks_dir() -> Path:
    """notebooks/ of the source checkout: the example project."""
    return Path(__file__).resolve().parents[2] / "notebooks"


def _empty(folder: Path) -> None:
    (folder / "README.md").write_text(
        "# New project\n\nNotebooks and data of this project live here.\n"
    )


def _example(folder: Path) -> None:
    source = example_notebooks_dir()
    if not source.is_dir():
        raise FileNotFoundError(f"example project not found at {source}")
    shutil.copytree(
        source,
        folder,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(*EXAMPLE_LEFT_OUT),
    )


BUILTIN_TEMPLATES: dict[str, Template] = {"empty": _empty, "example": _example}


def templates() -> dict[str, Template]:
    found = dict(BUILTIN_TEMPLATES)
    for ep in entry_points(group="scalelab.project_templates"):
        found.setdefault(ep.name, ep.load())
    return found


class Workspaces:
    """The folder of every project under `root`, and a trash folder for deleted ones."""

    def __init__(self, root: Path, trash: Path) -> None:
        self.root = root
        self.trash = trash

    def path(self, slug: str) -> Path:
        return self.root / check_slug(slug)

    def create(self, slug: str, template: str) -> Path:
        """Fill a new workspace from `template`; it appears complete or not at all."""
        target = self.path(slug)
        if target.exists():
            raise FileExistsError(f"workspace folder for {slug!r} already exists")
        fill = templates().get(template)
        if fill is None:
            raise ValueError(f"unknown template {template!r}; known: {', '.join(templates())}")
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{slug}-", dir=self.root))
        try:
            fill(staging)
            staging.chmod(0o775)
            staging.rename(target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return target

    def archive(self, slug: str) -> Path:
        """A compressed copy of the workspace in the trash folder, written before any delete."""
        self.trash.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        final = self.trash / f"{slug}-{stamp}.tar.gz"
        partial = final.with_name(final.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            source = self.path(slug)
            if source.exists():
                tar.add(source, arcname=slug)
        partial.rename(final)
        return final

    def remove(self, slug: str) -> None:
        shutil.rmtree(self.path(slug), ignore_errors=True)
