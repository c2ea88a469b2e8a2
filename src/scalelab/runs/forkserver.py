"""Start kernels by forking a process that has already imported what a kernel needs.

A Python kernel spends most of its ~0.4 s start importing IPython, ipykernel and zmq. The fork
server imports them once; each kernel is then a fresh `fork()` of it that only builds its own
sockets and shell, so no two runs ever share state. Run it as
`python -m scalelab.runs.forkserver SOCKET [MODULE ...]` (extra modules to preload, such as
pandas). `ForkServerProvisioner` asks it for kernels in place of spawning a new Python.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner
from traitlets import Unicode

from ..environ import child_environ

PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "IPython", "zmq", "tornado", "comm")


# -- the server (a process of its own) ---------------------------------------------------------
def _run_kernel(request: dict[str, Any]) -> None:
    """In the forked child: become a kernel with the given connection file."""
    os.setsid()  # its own process group, so a kill reaches whatever the kernel starts
    user = request.get("user")
    if user:  # become the run's OS account (the fork server runs as root then)
        import pwd

        account = pwd.getpwnam(user)
        os.chown(request["connection_file"], account.pw_uid, account.pw_gid)
        os.initgroups(user, account.pw_gid)
        os.setgid(account.pw_gid)
        os.setuid(account.pw_uid)
        request["env"].update(HOME=account.pw_dir, USER=user, LOGNAME=user)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(request["env"])
    try:
        os.chdir(request["cwd"])
    except PermissionError:
        # A pooled kernel starts in the service's folder, which its account may not enter
        # (private to root); its run moves it to the workspace before running anything.
        os.chdir(request["env"].get("HOME", "/"))
    # The kernel exits when its parent (this fork server) goes away: no orphaned kernels.
    # Given on the command line: ipykernel read $JPY_PARENT_PID when the server imported it.
    sys.argv = [
        "ipykernel_launcher",
        "-f",
        request["connection_file"],
        f"--IPKernelApp.parent_handle={os.getppid()}",
    ]
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # a kernel speaks over its sockets; stray prints go nowhere
        os.dup2(devnull, fd)
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(sys.argv[1:])
    app.start()


def serve(path: str, preload: list[str]) -> None:
    for module in (*PRELOAD, *preload):
        importlib.import_module(module)
    # Forking is only safe while this process has a single thread.
    assert threading.active_count() == 1, "a preloaded module started a thread"
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel processes reap themselves
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(64)
    server.settimeout(1.0)
    owner = os.getppid()
    print("ready", flush=True)
    try:
        _accept_forever(server, owner)
    finally:  # however we stop, the socket and its folder go with us
        with contextlib.suppress(OSError):
            os.unlink(path)
            os.rmdir(os.path.dirname(path))


def _accept_forever(server: socket.socket, owner: int) -> None:
    while True:
        try:
            conn, _ = server.accept()
        except TimeoutError:
            if os.getppid() != owner:  # whoever started us is gone (even by SIGKILL): so are we
                return
            continue
        conn.settimeout(5.0)  # a client that connects and says nothing must not stall us
        with conn, conn.makefile("rw") as stream:
            try:
                request = json.loads(stream.readline())
            except (OSError, ValueError):  # a probe (see sweep_stale_sockets), or garbage
                continue
            pid = os.fork()
            if pid == 0:
                server.close()
                try:
                    _run_kernel(request)
                finally:
                    os._exit(0)
            stream.write(json.dumps({"pid": pid}) + "\n")
            stream.flush()


SOCKET_DIR_PREFIX = "scalelab-fork-"


def sweep_stale_sockets() -> None:
    """Remove socket folders of fork servers that were killed outright (SIGKILL leaves them)."""
    for folder in Path(tempfile.gettempdir()).glob(SOCKET_DIR_PREFIX + "*"):
        path = folder / "fork.sock"
        try:
            if folder.stat().st_uid != os.getuid():
                continue
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                probe.connect(str(path))
        except ConnectionRefusedError:  # a socket nobody listens on any more
            with contextlib.suppress(OSError):
                path.unlink()
                folder.rmdir()
        except OSError:
            continue  # not ours, being set up, or gone meanwhile


class ForkServer:
    """A running fork server process, and the client side of its socket."""

    def __init__(self, preload: tuple[str, ...] = ()) -> None:
        sweep_stale_sockets()
        self._dir = tempfile.mkdtemp(prefix=SOCKET_DIR_PREFIX)
        self.socket_path = os.path.join(self._dir, "fork.sock")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "scalelab.runs.forkserver", self.socket_path, *preload],
            stdout=subprocess.PIPE,
            start_new_session=True,
            # Kernels forked from it keep its first environment in /proc/<pid>/environ.
            env=child_environ(),
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != b"ready":
            raise RuntimeError("the kernel fork server did not start")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        with contextlib.suppress(OSError):
            os.unlink(self.socket_path)
            os.rmdir(self._dir)


def fork_kernel(
    socket_path: str, connection_file: str, env: dict[str, str], cwd: str, user: str = ""
) -> int:
    """Ask the fork server at `socket_path` for a kernel (as OS account `user`); its pid."""
    request = {"connection_file": connection_file, "env": env, "cwd": cwd, "user": user}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(socket_path)
        conn.sendall((json.dumps(request) + "\n").encode())
        reply = conn.makefile().readline()
    return int(json.loads(reply)["pid"])


def forkable(spec: Any) -> bool:
    """Whether a kernelspec starts an ipykernel on this very Python (so forking is the same)."""
    argv = list(spec.argv)
    runs_here = bool(argv) and argv[0] in ("python", "python3", sys.executable)
    return spec.language == "python" and runs_here and "ipykernel_launcher" in argv


def use_fork_server(spec: Any, server: ForkServer, run_as: str | None = None) -> None:
    """Make kernels of `spec` start from `server` (a KernelManager's own copy of the spec)."""
    if forkable(spec):
        spec.metadata["kernel_provisioner"] = {
            "provisioner_name": "scalelab-fork",
            "config": {"socket_path": server.socket_path, "run_as": run_as or ""},
        }


# -- the kernel manager side -------------------------------------------------------------------
class ForkedKernel:
    """What LocalProvisioner expects of a Popen, for a kernel forked by the server."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def poll(self) -> int | None:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return 0  # gone (the server reaps it, so its exit status is not ours to read)
        return None

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.01)
        return 0

    def send_signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signum)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkServerProvisioner(LocalProvisioner):  # type: ignore[misc]
    """Launch Python kernels by forking the fork server instead of starting a new Python."""

    socket_path = Unicode("", config=True, help="Unix socket of the fork server.")
    run_as = Unicode("", config=True, help="OS account the kernel runs as (empty: ours).")

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        if not self.socket_path or "-f" not in cmd:
            return await super().launch_kernel(cmd, **kwargs)
        connection_file = cmd[cmd.index("-f") + 1]
        env = {k: str(v) for k, v in (kwargs.get("env") or os.environ).items()}
        cwd = str(kwargs.get("cwd") or Path.cwd())
        pid = await asyncio.get_running_loop().run_in_executor(
            None, fork_kernel, self.socket_path, connection_file, env, cwd, self.run_as
        )
        self.process = ForkedKernel(pid)
        self.pid = self.pgid = pid
        self.cwd = cwd
        return self.connection_info


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2:])
