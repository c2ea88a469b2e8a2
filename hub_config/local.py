"""`local` mode: every user's server runs as the hub's own OS user (development, `make up`).

Each user gets a home folder under the data root; isolation between users is by JupyterHub only.
"""

from scalelab.hub.settings import HubSettings

s = HubSettings.from_environ()
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(s.users_dir / "{username}")
