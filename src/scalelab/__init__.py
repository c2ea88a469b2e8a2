"""ScaleLab: a team lab environment for data science on JupyterHub."""

from ._version import __version__

__all__ = ["__version__"]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "scalelab"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "scalelab.server"}]
