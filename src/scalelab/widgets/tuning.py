"""TuningMonitor: an Optuna study's trials, live in the notebook."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import traitlets

from . import _optuna_trials as trials_source
from ._base import PollingWidget
from ._static import fmt, html_table

if TYPE_CHECKING:
    from optuna import Study

HERE = Path(__file__).parent
STATIC_PARAMS = 4


class TuningMonitor(PollingWidget):
    """An Optuna study while it runs: its trials, the best value over time and the parameters'
    importances, updated every `refresh_seconds` from a background thread, also while trials
    run in other processes or in this kernel's own `study.optimize()`.

    `study` is an `optuna.Study` or the name of one in the project's storage
    (`$SCALELAB_OPTUNA_STORAGE`, else `.scalelab/optuna.sqlite3` in the project's workspace,
    where `scalelab.tune` puts studies); `storage` names another.

    Example::

        import optuna
        from scalelab.widgets import TuningMonitor

        study = optuna.create_study(study_name="lr-search")
        monitor = TuningMonitor(study)
        monitor  # display it, then run study.optimize(objective) in the next cell
        monitor.close()  # stops polling

        TuningMonitor("lr-search")  # a study that jobs fill from other processes
    """

    _esm = HERE / "tuning.js"
    _css = HERE / "widgets.css"

    study_info = traitlets.Dict().tag(sync=True)
    trials = traitlets.List().tag(sync=True)
    param_names = traitlets.List().tag(sync=True)
    best = traitlets.List().tag(sync=True)
    importances = traitlets.Dict().tag(sync=True)

    def __init__(
        self, study: Study | str, refresh_seconds: float = 2, *, storage: str | None = None
    ) -> None:
        self._study: Study | None = None
        if isinstance(study, str):
            self._name = study
            # Resolved by the poller: finding the project's storage may touch the disk, and
            # its failures belong in the widget's error line.
            self._storage = storage or ""
        else:
            self._study = study
            self._name = study.study_name
            self._storage = ""
        # Importances are costly: computed again only when more trials have completed.
        self._complete_at_importances = 0
        super().__init__(refresh_seconds)

    def _fetch(self) -> dict[str, Any]:
        from optuna.trial import TrialState

        if self._study is None:
            self._storage = self._storage or trials_source.storage_url()
            self._study = trials_source.open_study(self._name, self._storage)
        study = self._study
        trials = study.get_trials(deepcopy=False)
        directions = [d.name.lower() for d in study.directions]
        single = len(directions) == 1
        values: dict[str, Any] = {
            "study_info": {"name": study.study_name, "directions": directions},
            "trials": [trials_source.trial_row(t) for t in trials],
            "param_names": sorted({k for t in trials for k in t.params}),
            "best": trials_source.best_series(trials, directions[0] == "minimize")
            if single
            else [],
        }
        complete = sum(t.state == TrialState.COMPLETE for t in trials)
        if single and complete >= 2 and complete != self._complete_at_importances:
            values["importances"] = trials_source.importances(study)
            self._complete_at_importances = complete
        return values

    def _describe(self, exc: Exception) -> str:
        if isinstance(exc, trials_source.StudyMissing):
            return str(exc)
        return super()._describe(exc)

    def _static_html(self) -> str:
        params = self.param_names[:STATIC_PARAMS]
        rows = [
            [t["number"], t["state"], _values(t["values"])]
            + [t["params"].get(k) for k in params]
            + [None if t["duration"] is None else f"{t['duration']:.3g} s"]
            for t in reversed(self.trials)
        ]
        title = f"Optuna study {self.study_info.get('name') or self._name}"
        if self.best:
            _, number, value = self.best[-1]
            title += f": best {fmt(value)} (trial {number})"
        return html_table(
            title, ["trial", "state", "value", *params, "duration"], rows, note=self.error
        )


def _values(values: list[Any] | None) -> str:
    return (
        ""
        if values is None
        else ", ".join(f"{v:.6g}" if isinstance(v, float) else str(v) for v in values)
    )
