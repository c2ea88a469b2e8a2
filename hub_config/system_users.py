"""`system-users` mode: one shared machine, each person a Unix user (the hub runs as root).

Servers run as the person's own Unix account (created on first spawn), so the operating system
keeps users' files apart. Homes live under the data root.
"""

from scalelab.hub.settings import HubSettings
from scalelab.hub.system_users import make_pre_spawn_hook

s = HubSettings.from_environ()
c.JupyterHub.spawner_class = "localprocess"
c.LocalProcessSpawner.notebook_dir = "~"
c.Spawner.pre_spawn_hook = make_pre_spawn_hook(str(s.users_dir))
