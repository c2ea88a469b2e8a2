"""Where the hub, its proxy and the service listen, and where they keep data.

One place reads these from the environment, so `scalelab up`, hub_config/ and the tests agree.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ..dataroot import DataRoot

PREFIX = "SCALELAB_"


@dataclass(frozen=True)
class HubSettings:
    data_root: str = ".data"
    ip: str = "127.0.0.1"
    port: int = 8000  # the public proxy port users open
    hub_port: int = 8081
    proxy_api_port: int = 8001
    service_port: int = 8181
    mode: str = "local"
    demo: int = 1  # 1: a demo project for the demo accounts at the first start

    @classmethod
    def from_environ(cls, environ: dict[str, str] | None = None) -> HubSettings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(PREFIX + f.name.upper())
            if raw:
                values[f.name] = int(raw) if f.type in (int, "int") else raw
        settings = cls(**values)  # type: ignore[arg-type]
        return cls(**{**asdict(settings), "data_root": str(Path(settings.data_root).resolve())})

    def to_environ(self) -> dict[str, str]:
        return {PREFIX + k.upper(): str(v) for k, v in asdict(self).items()}

    @property
    def data(self) -> DataRoot:
        return DataRoot(Path(self.data_root))

    @property
    def public_url(self) -> str:
        return f"http://{self.ip}:{self.port}/"

    @property
    def service_url(self) -> str:
        return f"http://127.0.0.1:{self.service_port}/services/scalelab/"
