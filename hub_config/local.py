"""`local` mode: every user's server runs as the hub's own OS user (one person, development).

Each user gets a home folder under the data root; isolation between users is by JupyterHub only:
every kernel runs as that one OS user and can read every project and the hub's secrets.
"""

import getpass
import sys

from scalelab.hub.modes import LOCAL_WARNING
from scalelab.hub.settings import HubSettings

s = HubSettings.from_environ()
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(s.data.users / "{username}")
c.ScaleLab.deployment_mode = "local"
# Said at every start, where the operator looks, and not only in the README.
print(LOCAL_WARNING.format(account=getpass.getuser()), file=sys.stderr, flush=True)
