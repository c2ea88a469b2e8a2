"""Resolve user-given paths inside a root folder, refusing anything that would leave it."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import unquote


class PathOutsideRoot(ValueError):
    """A path argument that points outside the folder it must stay in."""


def resolve_inside(root: Path, relative: str) -> Path:
    """`root / relative`, guaranteed to be inside `root` once symlinks are followed.

    Refused: absolute paths, `..` anywhere (also percent-encoded), NUL bytes, and symlinks
    that lead out of `root`. The path need not exist.
    """
    decoded = relative
    for _ in range(3):  # %252e%252e decodes twice; stop once stable
        again = unquote(decoded)
        if again == decoded:
            break
        decoded = again
    if "\0" in decoded:
        raise PathOutsideRoot("path contains a NUL byte")
    pure = PurePosixPath(decoded.replace("\\", "/"))
    if pure.is_absolute():
        raise PathOutsideRoot(
            f"absolute path {relative!r} is not allowed; give one relative to the project"
        )
    if ".." in pure.parts:
        raise PathOutsideRoot(f"path {relative!r} may not contain '..'")
    # Longer than the file system allows (NAME_MAX, PATH_MAX): no such file can exist.
    if len(decoded.encode(errors="replace")) > 4096 or any(
        len(part.encode(errors="replace")) > 255 for part in pure.parts
    ):
        raise PathOutsideRoot(f"path {relative[:60]!r}... is longer than a file name may be")
    base = root.resolve()
    try:
        target = (base / pure).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop, a name the file system refuses
        raise PathOutsideRoot(f"path {relative!r} cannot be resolved: {exc}") from None
    if target != base and base not in target.parents:
        raise PathOutsideRoot(f"path {relative!r} leads outside the project (symlink?)")
    return target
