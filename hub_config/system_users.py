"""`system-users` mode: one shared machine, each person a Unix user (the hub runs as root).

Servers run as the person's own Unix account (created on first spawn), so the operating system
keeps users' files apart. Homes live under the data root. Project workspaces get a Unix group
per project and access level, kept in step with project roles by the ScaleLab service.
"""

from scalelab.hub.settings import HubSettings
from scalelab.unix import ensure_unix_user, seal_data_root

s = HubSettings.from_environ()
# Before the hub writes its database and cookie secret there: users' kernels may pass through
# the data root to what they share, and read nothing else.
seal_data_root(s.data.path)
c.JupyterHub.spawner_class = "localprocess"
c.LocalProcessSpawner.notebook_dir = "~"


def ensure_system_user(spawner):
    ensure_unix_user(spawner.user.name, s.data.users)


c.Spawner.pre_spawn_hook = ensure_system_user
c.ScaleLab.workspace_access_class = "scalelab.service.access.UnixGroupAccess"
c.ScaleLab.deployment_mode = "system-users"
