"""Where the service's settings come from: its config file, the hub, the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scalelab.service.app import CONFIG_ENV, ScaleLab


@pytest.fixture(autouse=True)
def fresh_instance() -> None:
    ScaleLab.clear_instance()


def make_app(argv: list[str]) -> ScaleLab:
    app = ScaleLab()
    app.initialize(argv)
    return app


def test_defaults_put_the_database_in_the_data_root(tmp_path: Path) -> None:
    app = make_app([f"--data-root={tmp_path / 'data'}"])
    assert app.db_url == f"sqlite:///{tmp_path / 'data' / 'scalelab.sqlite'}"
    assert app.store.ping() is None  # created and migrated at start
    assert app.max_body_size == 1024 * 1024
    app.store.dispose()


def test_command_line_beats_hub_settings_beat_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "scalelab_config.py"
    config.write_text("c.ScaleLab.max_body_size = 10\nc.ScaleLab.ip = '127.0.0.2'\n")
    monkeypatch.setenv(CONFIG_ENV, json.dumps({"max_body_size": 20, "port": 9999}))
    app = make_app([f"--config={config}", f"--data-root={tmp_path}"])
    assert (app.max_body_size, app.ip, app.port) == (20, "127.0.0.2", 9999)
    app.store.dispose()
    ScaleLab.clear_instance()
    app = make_app([f"--config={config}", f"--data-root={tmp_path}", "--ScaleLab.max_body_size=30"])
    assert app.max_body_size == 30
    app.store.dispose()


def test_every_option_has_help() -> None:
    for name, trait in ScaleLab.class_own_traits(config=True).items():
        assert trait.help.strip(), f"c.ScaleLab.{name} has no help text"


def test_the_executor_is_chosen_by_configuration(tmp_path: Path) -> None:
    from scalelab.runs.dask import DaskExecutor
    from scalelab.runs.executor import LocalExecutor

    app = make_app([f"--data-root={tmp_path}", "--LocalExecutor.max_parallel=3"])
    assert type(app.runs.executor) is LocalExecutor and app.runs.executor.max_parallel == 3
    app.store.dispose()
    ScaleLab.clear_instance()
    app = make_app(
        [
            f"--data-root={tmp_path}",
            "--ScaleLab.executor_class=scalelab.runs.dask.DaskExecutor",
            "--DaskExecutor.scheduler_address=tcp://127.0.0.1:8786",
        ]
    )
    assert isinstance(app.runs.executor, DaskExecutor)
    assert app.runs.executor.scheduler_address == "tcp://127.0.0.1:8786"
    app.store.dispose()


def test_the_hub_forwards_executor_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scalelab.service.app import SECTIONS_ENV

    monkeypatch.setenv(SECTIONS_ENV, json.dumps({"LocalExecutor": {"retries": 2}}))
    app = make_app([f"--data-root={tmp_path}"])
    assert app.runs.executor.retries == 2
    app.store.dispose()


def test_scheduler_and_notifier_are_configured_as_their_own_sections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scalelab.service.app import SECTIONS_ENV

    monkeypatch.setenv(SECTIONS_ENV, json.dumps({"Notifier": {"webhook_attempts": 7}}))
    app = make_app(
        [
            f"--data-root={tmp_path}",
            "--Scheduler.poll_interval=0.5",
            "--Scheduler.min_interval=300",
            "--Notifier.webhook_hosts=['hooks.example.com']",
        ]
    )
    assert (app.scheduler.poll_interval, app.scheduler.min_interval) == (0.5, 300)
    assert app.notifier.webhook_hosts == ["hooks.example.com"]
    assert app.notifier.webhook_attempts == 7
    app.store.dispose()


def test_old_option_names_still_work_and_say_what_to_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(
        [
            f"--data-root={tmp_path}",
            "--ScaleLab.misfire_tolerance=5",
            "--ScaleLab.webhook_backoff=0.5",
            "--ScaleLab.clock_class=tests.schedules.clock.OffsetClock",
        ]
    )
    assert app.scheduler.misfire_tolerance == 5
    assert app.notifier.webhook_backoff == 0.5
    assert type(app.clock).__name__ == "OffsetClock"
    log = capsys.readouterr().err
    assert "c.ScaleLab.misfire_tolerance is deprecated: use c.Scheduler.misfire_tolerance" in log
    assert "c.ScaleLab.webhook_backoff is deprecated: use c.Notifier.webhook_backoff" in log
    app.store.dispose()
