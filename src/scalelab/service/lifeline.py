"""The service's process bound to the hub's: it ends when the hub is gone, and waits for its port.

A hub killed outright (SIGKILL, the OOM killer) cannot stop the service it started in a session
of its own: without this the service lives on unmanaged, and holds the port the next hub's
service needs.
"""

from __future__ import annotations

import errno
import os
import socket
import time
from collections.abc import Callable

from tornado import ioloop, netutil


def watch_parent(parent: int, interval: float, on_gone: Callable[[], None]) -> None:
    """Call `on_gone` once, when process `parent` (which started this one) has exited.

    The orphans of an exited process are adopted by another (init, or a subreaper), so a change
    of os.getppid() tells it however the parent ended. Polled rather than prctl's
    PR_SET_PDEATHSIG, which is Linux only and fires when the *thread* that started us ends.
    """

    def check() -> None:
        if os.getppid() != parent:
            watch.stop()
            on_gone()

    watch = ioloop.PeriodicCallback(check, interval * 1000)
    watch.start()
    ioloop.IOLoop.current().add_callback(check)  # it may be gone already


def bind_waiting(port: int, address: str, wait: float) -> list[socket.socket]:
    """Listening sockets on port, waiting up to `wait` seconds while another process holds it.

    The service of a hub that was just killed holds the port until it notices and exits.
    Raises OSError (EADDRINUSE) if the port is still taken after that.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            return netutil.bind_sockets(port, address)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or time.monotonic() >= deadline:
                raise
        time.sleep(0.25)
