"""A widget whose data comes from a background poller, with a static table for exports.

The poller owns every call to the data source (MLflow, Optuna storage), so a slow or dead
server never blocks the kernel, and work such as Optuna's importances never runs on the
kernel's main thread, not even for `refresh()`.
"""

from __future__ import annotations

import logging
import math
import threading
from typing import Any

import anywidget
import traitlets

log = logging.getLogger(__name__)

# How long displaying the widget may wait for the first poll: without it, a notebook run by
# nbconvert/papermill would store an empty table as the widget's static fallback.
FIRST_POLL_WAIT_SECONDS = 5.0


def json_number(value: float) -> float | str | None:
    """MLflow and Optuna allow NaN and infinities, JSON does not: NaN becomes a missing value,
    infinities the strings JavaScript's Number() reads back."""
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def one_line(text: str, limit: int = 240) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class PollingWidget(anywidget.AnyWidget):
    """Base of the ScaleLab widgets: subclasses implement `_fetch`, `_describe` and
    `_static_html`; the base polls, syncs only what changed, and stops at `close()`."""

    error = traitlets.Unicode("").tag(sync=True)
    loaded = traitlets.Bool(False).tag(sync=True)

    def __init__(self, refresh_seconds: float, **kwargs: Any) -> None:
        if not refresh_seconds > 0:
            raise ValueError("refresh_seconds must be positive")
        super().__init__(**kwargs)
        self.refresh_seconds = float(refresh_seconds)
        self._wakeup = threading.Condition()
        self._requested = 0
        self._done = 0
        self._stopped = False
        self._first_poll = threading.Event()
        self._poller = threading.Thread(
            target=self._poll_forever, name=f"scalelab-{type(self).__name__}", daemon=True
        )
        self._poller.start()

    # -- what subclasses provide ------------------------------------------------------------

    def _fetch(self) -> dict[str, Any]:
        """Read the source; return synced trait values. Runs on the poller thread only."""
        raise NotImplementedError

    def _describe(self, exc: Exception) -> str:
        """The one line shown in the widget for a failed poll."""
        return one_line(f"{type(exc).__name__}: {exc}")

    def _static_html(self) -> str:
        raise NotImplementedError

    # -- polling ----------------------------------------------------------------------------

    def refresh(self, timeout: float | None = 30.0) -> bool:
        """Poll now (on the poller thread) and wait for it; False if it took over `timeout`
        seconds or the widget is closed."""
        with self._wakeup:
            if self._stopped:
                return False
            self._requested += 1
            ticket = self._requested
            self._wakeup.notify_all()
            return self._wakeup.wait_for(
                lambda: self._done >= ticket or self._stopped, timeout=timeout
            ) and (self._done >= ticket)

    def _poll_forever(self) -> None:
        while True:
            with self._wakeup:
                if self._stopped:
                    return
                ticket = self._requested
            self._poll_once()
            with self._wakeup:
                self._done = max(self._done, ticket)
                self._wakeup.notify_all()
                self._wakeup.wait_for(
                    lambda: self._stopped or self._requested > self._done,
                    timeout=self.refresh_seconds,
                )

    def _poll_once(self) -> None:
        try:
            values = self._fetch()
        # Whatever the source raises (network, auth, a missing study, a bug in a plugin), the
        # poller must survive and say so in one line, then try again at the next poll.
        except Exception as exc:
            log.debug("poll failed", exc_info=True)
            values = {"error": self._describe(exc)}
        else:
            values["error"] = ""
            values["loaded"] = True
        self._apply(values)
        self._first_poll.set()

    def _apply(self, values: dict[str, Any]) -> None:
        """Set only the traits whose value changed, in one message to the front end."""
        changed = {k: v for k, v in values.items() if getattr(self, k) != v}
        if not changed:
            return
        with self.hold_sync():
            for key, value in changed.items():
                setattr(self, key, value)

    def close(self) -> None:
        """Stop polling and close the widget (its views disappear)."""
        wakeup = getattr(self, "_wakeup", None)
        if wakeup is not None:
            with wakeup:
                self._stopped = True
                wakeup.notify_all()
            if self._poller is not threading.current_thread():
                # A poll stuck on the network must not hold up the kernel: the thread is a
                # daemon and exits at its next check.
                self._poller.join(timeout=1.0)
        super().close()

    # -- display ----------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        self._first_poll.wait(FIRST_POLL_WAIT_SECONDS)
        # Front ends with the widget manager show the live view; nbconvert (no saved widget
        # state) and untrusted notebooks fall back to this table.
        return {**data, "text/html": self._static_html()}, metadata
