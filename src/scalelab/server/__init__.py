"""The single-user Jupyter server extension: the lab's door to the ScaleLab service."""

from __future__ import annotations

from typing import Any

from jupyter_server.utils import url_path_join

from .forward import ForwardHandler, ScaleLabServerConfig


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "scalelab.server"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    config = ScaleLabServerConfig(parent=serverapp)
    web_app = serverapp.web_app
    pattern = url_path_join(web_app.settings["base_url"], "scalelab", "(api/.*)")
    web_app.add_handlers(".*$", [(pattern, ForwardHandler, {"config": config})])
    serverapp.log.info("ScaleLab server extension: forwarding to %s", config.service_url or "?")
