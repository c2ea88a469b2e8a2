"""The `local` trial pool: worker processes on this machine, started by a `forkserver`.

Not `fork`: the main process is often a Jupyter kernel with threads (ZMQ, heartbeats) that a
fork would copy mid-state. The fork server is a clean process, started at the first tune() of
a kernel with Optuna and SQLAlchemy already imported, so that every later worker starts in
milliseconds instead of importing them again. The objective reaches the child pickled by value
inside the job, so functions defined in a notebook work.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

from .job import WorkerJob
from .pools import WorkerOutcome
from .worker import run_worker


class LocalWorker:
    def __init__(self, process: BaseProcess, reports: Connection) -> None:
        self._process = process
        self._reports = reports
        self._report: WorkerOutcome | None = None

    def _read_report(self) -> None:
        # Read as soon as it is there: a report larger than the pipe's buffer would otherwise
        # keep the child from exiting.
        if self._report is not None or self._reports.closed:
            return
        try:
            if self._reports.poll():
                self._report = self._reports.recv()
        except (EOFError, OSError):  # the child ended without a word
            self._reports.close()

    def outcome(self) -> WorkerOutcome | None:
        self._read_report()
        code = self._process.exitcode
        if code is None:
            return None
        if self._report is not None:
            return self._report
        if code < 0:
            return WorkerOutcome("died", f"killed by {signal.Signals(-code).name}")
        return WorkerOutcome("died", f"exited with code {code}")

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
            if self._process.is_alive():
                self._process.kill()
        self._process.join()
        self._reports.close()


class LocalTrialPool:
    name = "local"

    def __init__(self, address: str | None = None) -> None:
        if address:
            raise ValueError(f"the local trial pool takes no address (got {address!r})")
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload([__name__])

    def start(self, job: WorkerJob) -> LocalWorker:
        reports, child_end = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=_child_main,
            args=(job, child_end, dict(os.environ), os.getcwd()),
            name="scalelab-trial-worker",
        )
        process.start()
        child_end.close()
        return LocalWorker(process, reports)

    def close(self) -> None:
        pass


def _child_main(job: WorkerJob, reports: Connection, environ: dict[str, str], cwd: str) -> None:
    _exit_with_parent()
    # The fork server holds the environment and folder of the first tune() call: the
    # objective sees those of this one, as a spawned process would.
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(cwd)
    try:
        notes = run_worker(job)
    except BaseException as exc:
        reports.send(WorkerOutcome.of_exception(exc))
        raise SystemExit(1) from None
    reports.send(WorkerOutcome("finished", notes=tuple(notes)))


def _exit_with_parent() -> None:
    """End this process when the process that started it is gone, however it ended (a
    restarted kernel is SIGKILLed). Its running trial then goes stale and is retried by whoever
    resumes. Not by its parent pid: a fork server's child has the fork server as parent."""
    parent = multiprocessing.parent_process()
    assert parent is not None, "a worker runs in a process multiprocessing started"

    def watch() -> None:
        wait([parent.sentinel])  # readable once the starting process has closed its end
        os._exit(1)

    threading.Thread(target=watch, name="scalelab-parent-watch", daemon=True).start()
