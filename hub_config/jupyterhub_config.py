"""ScaleLab's JupyterHub configuration.

    jupyterhub -f hub_config/jupyterhub_config.py        (what `scalelab up` runs)

The deployment mode comes from $SCALELAB_MODE: `local` (every server runs as the hub's own OS
user; the default here, while `scalelab up` picks system-users as root where it can work) or
`system-users` (each person is a Unix user). Ports and the data root come
from $SCALELAB_* variables (see scalelab.hub.settings). Settings for the ScaleLab service go in
`c.ScaleLab.<option>` here or in the file named by $SCALELAB_HUB_EXTRA_CONFIG, which is loaded
last and may override anything.
"""

import json
import os
from pathlib import Path

from scalelab.hub.settings import HubSettings

here = Path(__file__).resolve().parent
settings = HubSettings.from_environ()

load_subconfig(str(here / "base.py"))
modes = {"local": "local.py", "system-users": "system_users.py"}
if settings.mode not in modes:
    raise SystemExit(f"SCALELAB_MODE={settings.mode!r}: choose one of {', '.join(modes)}")
load_subconfig(str(here / modes[settings.mode]))
extra = os.environ.get("SCALELAB_HUB_EXTRA_CONFIG")
if extra:
    load_subconfig(extra)

# The service runs in its own process: hand it its sections of this configuration (c.ScaleLab,
# c.Scheduler, c.Notifier, c.HubDirectory, c.Tracking, c.Serving, c.Monitoring and the
# executors', e.g. c.LocalExecutor.retries), which would otherwise go unread.
scalelab_service = c.JupyterHub.services[0]
scalelab_service["environment"]["SCALELAB_CONFIG_JSON"] = json.dumps(
    {k: v for k, v in c.ScaleLab.items()}
)
scalelab_service["environment"]["SCALELAB_SECTIONS_JSON"] = json.dumps(
    {
        name: dict(section)
        for name, section in c.items()
        if name in ("Scheduler", "Notifier", "HubDirectory", "Tracking", "Serving", "Monitoring")
        or name.endswith("Executor")
    }
)
