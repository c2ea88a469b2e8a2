"""A fire time while the previous run is still going: allow, forbid and replace."""

from __future__ import annotations

import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .clock import set_clock
from .conftest import ServiceProcess, events, prepare, runs, wait_for

T0 = datetime(2030, 1, 7, 10, 59, 58, tzinfo=UTC)


def test_concurrency_policies_with_a_long_previous_run(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    db_url = f"sqlite:///{tmp_path / 'scalelab.sqlite'}"
    store, clock, project = prepare(tmp_path, db_url, "long", T0)
    slow = project.notebook("slow.ipynb", "n = 1", "import time; time.sleep(600)")
    policies = {
        policy: project.schedule(policy, slow, "* * * * *", T0, concurrency=policy)
        for policy in ("allow", "forbid", "replace")
    }
    service = services(db_url, options=["--LocalExecutor.max_parallel=4"])
    service.start()

    def statuses(policy: str) -> list[str]:
        return [r.status for r in runs(store, policies[policy])]

    wait_for(
        lambda: all(statuses(p) == ["running"] for p in policies),
        what="three slow runs",
        timeout=90,
    )
    set_clock(clock, T0 + timedelta(minutes=1))  # 11:01 falls due; the 11:00 runs go on
    wait_for(
        lambda: (
            all(len(events(store, s)) == 2 for s in policies.values())
            and all(e.outcome != "starting" for s in policies.values() for e in events(store, s))
        ),
        what="the 11:01 fire times",
    )

    first, second = statuses("allow")  # both going at once
    assert first == "running" and second in ("queued", "running")

    forbid = events(store, policies["forbid"])
    assert forbid[1].outcome == "skipped" and forbid[1].run_id is None
    assert "still going (concurrency policy forbid)" in forbid[1].detail
    assert statuses("forbid") == ["running"]

    replace = events(store, policies["replace"])
    old, new = runs(store, policies["replace"])
    assert replace[1].outcome == "queued" and f"replaces run {old.id}" in replace[1].detail
    wait_for(lambda: runs(store, policies["replace"])[0].status == "cancelled", what="cancel")
    assert runs(store, policies["replace"])[1].id == new.id
    assert runs(store, policies["replace"])[1].status in ("queued", "running")

    # Stopped as the hub stops it, with runs going: at once, and the runs say why.
    assert service.process is not None
    service.process.send_signal(signal.SIGTERM)
    assert service.process.wait(20) == 0
    service.process = None
    finished = [r.status for p in policies for r in runs(store, policies[p])]
    assert len(finished) == 5 and set(finished) == {"cancelled"}, finished
