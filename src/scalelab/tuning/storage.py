"""Where studies live: the project's Optuna database, opened with heartbeats and retries.

Every worker process opens the same RDB storage by URL, so the URL is what travels to workers;
a SQLite file must therefore be on a disk the workers see (one machine, or a shared volume).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import optuna
import sqlalchemy
from optuna.trial import TrialState

STORAGE_ENV = "SCALELAB_OPTUNA_STORAGE"
MARKER = ".scalelab"
DEFAULT_FILE = "optuna.sqlite3"


def project_workspace(start: Path | None = None) -> Path:
    """The project's workspace folder, seen from `start` (default: the current directory).

    The nearest ancestor of `start` (itself included) that holds a `.scalelab` folder; without
    one, `start` itself. Kernels and runs start in the notebook's folder, so a notebook in a
    sub-folder of the project still finds the project's files.
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / MARKER).is_dir():
            return folder
    return here


def default_storage_url() -> str:
    """$SCALELAB_OPTUNA_STORAGE, else a SQLite file in the project's `.scalelab` folder."""
    configured = os.environ.get(STORAGE_ENV, "").strip()
    if configured:
        return configured
    folder = project_workspace() / MARKER
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / DEFAULT_FILE}"


@dataclass(frozen=True)
class Heartbeat:
    """How workers prove they are alive, and how a dead worker's trial is retried.

    A RUNNING trial without a heartbeat for `grace_period` seconds is marked FAIL, and a copy
    with the same parameters is queued, at most `max_retry` times per trial.
    """

    interval: int = 5
    grace_period: int = 20
    max_retry: int = 2


def open_storage(url: str, heartbeat: Heartbeat) -> optuna.storages.RDBStorage:
    if url.startswith("sqlite"):
        # Several processes write one file: wait for the lock rather than fail at once.
        engine_kwargs: dict[str, object] = {"connect_args": {"timeout": 60}}
    else:
        engine_kwargs = {"pool_pre_ping": True}
    with warnings.catch_warnings():
        # Heartbeats and the retry callback are "experimental" in Optuna: said on every call.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        storage = optuna.storages.RDBStorage(
            url,
            engine_kwargs=engine_kwargs,
            heartbeat_interval=heartbeat.interval,
            grace_period=heartbeat.grace_period,
            heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(
                max_retry=heartbeat.max_retry
            ),
        )
    if url.startswith("sqlite"):
        _lock_sqlite_transactions(storage.engine)
    return storage


def _lock_sqlite_transactions(engine: sqlalchemy.Engine) -> None:
    """Make every SQLite transaction take the write lock as it begins, on a write-ahead log.

    pysqlite begins a transaction only at the first write, so Optuna's read-then-update steps
    (taking a queued trial, failing a stale one) are not atomic across processes: two workers
    could both take one retry, or queue two retries of one dead trial. SELECT ... FOR UPDATE
    makes these steps atomic on PostgreSQL and is ignored by SQLite. This is SQLAlchemy's
    recipe for pysqlite transactions.
    """

    @sqlalchemy.event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        # Write-ahead log: readers do not wait for the writer, and a commit costs no fsync (a
        # power cut may lose the last trials, never the file). Kept by the file; SQLite gives
        # the -wal and -shm files the database file's permissions.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sqlalchemy.event.listens_for(engine, "begin")
    def _begin_immediate(connection: sqlalchemy.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    engine.dispose()  # connections opened before the listeners existed


def fail_stale_trials(study: optuna.Study, storage: optuna.storages.RDBStorage) -> None:
    """Mark the trials of dead workers FAIL (and queue their retries)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
    _fail_trials_without_heartbeat(study, storage)


def _fail_trials_without_heartbeat(
    study: optuna.Study, storage: optuna.storages.RDBStorage
) -> None:
    """Optuna never fails a RUNNING trial that has no heartbeat at all, and a worker killed
    between creating a trial and its first heartbeat leaves one: it would hold its slot for
    ever. Such trials that started more than a grace period ago are treated as stale too."""
    if storage.heartbeat_interval is None:  # no heartbeats: no way to tell the dead
        return
    grace = timedelta(seconds=storage.grace_period or 2 * storage.heartbeat_interval)
    cutoff = datetime.now() - grace  # datetime_start is the workers' naive local time
    started_long_ago = {
        t._trial_id
        for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        if t.datetime_start is not None and t.datetime_start < cutoff
    }
    if not started_long_ago:
        return
    query = sqlalchemy.text(
        "SELECT trial_id FROM trial_heartbeats WHERE trial_id IN :ids"
    ).bindparams(sqlalchemy.bindparam("ids", expanding=True))
    with storage.engine.connect() as connection:
        beating = set(connection.execute(query, {"ids": list(started_long_ago)}).scalars())
    retry = storage.get_heartbeat_stale_trial_callback()
    for trial_id in started_long_ago - beating:
        try:
            if not storage.set_trial_state_values(trial_id, state=TrialState.FAIL):
                continue
        except optuna.exceptions.UpdateFinishedTrialError:  # another worker was quicker
            continue
        if retry is not None:
            retry(study, storage.get_trial(trial_id))
