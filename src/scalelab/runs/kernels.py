"""Kernels started ahead of use. Each serves one notebook run and is then shut down.

Starting a kernel and waiting for it costs far more than running a short notebook, so the pool
keeps a few ready per kernel name, forked from a fork server where the kernelspec allows, and
starts a replacement as soon as one is taken. Runs never share a kernel, so never share state.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import shutil
import time
import uuid
from dataclasses import dataclass
from typing import Any

from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager

from ..environ import child_environ
from ..processfolders import make_process_folder
from .forkserver import ForkServer, forkable, use_fork_server


@dataclass
class ReadyKernel:
    """A started kernel with a connected client whose channels are known to deliver."""

    name: str
    manager: AsyncKernelManager
    client: AsyncKernelClient

    async def run_silently(self, code: str, timeout: float = 30) -> None:
        """Run set-up code that leaves nothing in the user's namespace or history."""
        msg_id = self.client.execute(code, silent=True, store_history=False)
        deadline = time.monotonic() + timeout
        while True:
            reply = await self.client.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                if reply["content"]["status"] != "ok":
                    raise RuntimeError(f"kernel set-up failed: {reply['content'].get('evalue')}")
                return

    async def prepare(self, cwd: str, env: dict[str, str]) -> None:
        """Move the kernel into the run's working folder and environment."""
        code = (
            f"__import__('os').chdir({cwd!r});"
            f"__import__('os').environ.update(__import__('json').loads({json.dumps(env)!r}))"
        )
        await self.run_silently(code)

    async def shutdown(self) -> None:
        with contextlib.suppress(Exception):
            self.client.stop_channels()
        with contextlib.suppress(Exception):
            await self.manager.shutdown_kernel(now=True)

    def discard(self) -> asyncio.Task[None]:
        """Shut down in the background: the next run need not wait for this one's kernel."""
        task = asyncio.ensure_future(self.shutdown())
        _discarding.add(task)
        task.add_done_callback(_discarding.discard)
        return task


_discarding: set[asyncio.Task[None]] = set()


async def finish_discards() -> None:
    await asyncio.gather(*list(_discarding), return_exceptions=True)


async def _wait_until_ready(client: AsyncKernelClient, timeout: float) -> None:
    """Ready once a kernel_info request has answered on shell *and* been seen on IOPub.

    Seeing it on IOPub proves the subscription is live, so no output of the first cell is lost;
    this avoids the fixed wait that jupyter_client's wait_for_ready spends draining IOPub.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg_id = client.kernel_info()
        while True:
            left = max(0.05, deadline - time.monotonic())
            reply = await client.get_shell_msg(timeout=left)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        with contextlib.suppress(queue.Empty):
            until = time.monotonic() + 0.1
            while time.monotonic() < until:
                msg = await client.get_iopub_msg(timeout=0.1)
                if msg["parent_header"].get("msg_id") == msg_id:
                    return
    raise TimeoutError(f"kernel not ready after {timeout:.0f}s")


CONNECTION_DIR_PREFIX = "scalelab-kernels-"


class ConnectionFolder:
    """Where a process's kernels get their connection files: one folder of its own.

    jupyter_client would write them straight into the temporary folder, where every kernel of a
    process that is killed leaves one behind. This folder goes when the process closes its
    kernels, and one left by a killed process is swept by the next.
    """

    def __init__(self) -> None:
        # A kernel running as a project's account reads its own file (0600, handed to it by the
        # fork server): it may pass through this folder, not list it.
        self.path = make_process_folder(CONNECTION_DIR_PREFIX, 0o711)

    def new_file(self) -> str:
        return str(self.path / f"kernel-{uuid.uuid4().hex}.json")

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


async def start_kernel(
    name: str,
    fork_server: ForkServer | None,
    timeout: float = 60,
    run_as: str | None = None,
    connection_file: str = "",
) -> ReadyKernel:
    """A started kernel, ready; its connection file at `connection_file` (else a temporary
    file of jupyter_client's choosing)."""
    manager = AsyncKernelManager(kernel_name=name, connection_file=connection_file)
    if run_as and (fork_server is None or not forkable(manager.kernel_spec)):
        raise RuntimeError(
            f"kernel {name!r} cannot run as {run_as!r}: that needs an ipykernel kernelspec "
            "started through the fork server"
        )
    if fork_server is not None:
        use_fork_server(manager.kernel_spec, fork_server, run_as)
    # Not the service's environment: it holds the service's credentials.
    await manager.start_kernel(env=child_environ())
    client = manager.client()
    client.start_channels()
    kernel = ReadyKernel(name, manager, client)
    try:
        await _wait_until_ready(client, timeout)
    except BaseException:
        await kernel.shutdown()
        raise
    return kernel


class KernelPool:
    """Up to `size` ready kernels per kernel name (and OS account), refilled in the background."""

    def __init__(self, size: int = 2, fork: bool = True, preload: tuple[str, ...] = ()) -> None:
        self.size = size
        self.fork = fork
        self.preload = preload
        self._server: ForkServer | None = None
        self._ready: dict[tuple[str, str | None], asyncio.Queue[ReadyKernel]] = {}
        self._starting: dict[tuple[str, str | None], int] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        self._connections: ConnectionFolder | None = None

    def _fork_server(self) -> ForkServer | None:
        if self.fork and self._server is None:
            self._server = ForkServer(self.preload)
        return self._server

    def _refill(self, key: tuple[str, str | None]) -> None:
        waiting = self._ready.setdefault(key, asyncio.Queue())
        while not self._closed and waiting.qsize() + self._starting.get(key, 0) < self.size:
            self._starting[key] = self._starting.get(key, 0) + 1
            task = asyncio.ensure_future(self._start_one(key))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _start_one(self, key: tuple[str, str | None]) -> None:
        name, run_as = key
        try:
            if self._connections is None:
                self._connections = ConnectionFolder()
            kernel = await start_kernel(
                name,
                self._fork_server(),
                run_as=run_as,
                connection_file=self._connections.new_file(),
            )
        except Exception as exc:
            kernel = None
            self._failure = exc
        finally:
            self._starting[key] -= 1
        if kernel is None:
            return
        if self._closed:
            await kernel.shutdown()
        else:
            await self._ready[key].put(kernel)

    _failure: Exception | None = None

    async def take(self, name: str, run_as: str | None = None, timeout: float = 120) -> ReadyKernel:
        """A ready kernel of kernelspec `name` (as `run_as`), now the caller's to shut down."""
        key = (name, run_as)
        self._refill(key)
        try:
            kernel = await asyncio.wait_for(self._ready[key].get(), timeout)
        except TimeoutError:
            why = f": {self._failure}" if self._failure else ""
            raise TimeoutError(
                f"no {name!r} kernel could be started in {timeout:.0f}s{why}"
            ) from None
        self._refill(key)
        if not await kernel.manager.is_alive():
            await kernel.shutdown()
            return await self.take(name, run_as, timeout)
        return kernel

    def warm(self, name: str, run_as: str | None = None) -> None:
        """Start filling the pool for `name` now, before the first run asks."""
        self._refill((name, run_as))

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for waiting in self._ready.values():
            while not waiting.empty():
                await waiting.get_nowait().shutdown()
        await finish_discards()
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._connections is not None:
            self._connections.remove()
            self._connections = None
