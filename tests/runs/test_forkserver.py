"""Socket folders of fork servers killed outright are swept; live ones are left alone."""

from __future__ import annotations

import socket
import tempfile
import time
from pathlib import Path

from scalelab.runs.forkserver import SOCKET_DIR_PREFIX, ForkServer, sweep_stale_sockets


def test_stale_socket_folders_are_swept_and_live_servers_keep_serving() -> None:
    stale = Path(tempfile.mkdtemp(prefix=SOCKET_DIR_PREFIX))
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(stale / "fork.sock"))  # bound, never listening: as after a SIGKILL
    dead.close()
    live = ForkServer()
    try:
        sweep_stale_sockets()
        assert not stale.exists()
        assert Path(live.socket_path).exists()
        # The probe did not disturb the live server: it still answers.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(live.socket_path)
        time.sleep(0.5)  # time to read the empty request
        assert live.process.poll() is None
    finally:
        live.stop()
    assert not Path(live.socket_path).parent.exists()
