"""ScaleLab: a team lab environment for data science on JupyterHub."""

from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .tuning import tune

__all__ = ["__version__", "tune"]


def __getattr__(name: str) -> Any:
    # `import scalelab` stays cheap: Optuna loads on first use of scalelab.tune.
    if name == "tune":
        from .tuning import tune

        return tune
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "scalelab"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "scalelab.server"}]
