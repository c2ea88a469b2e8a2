"""whylogs 1.6 on numpy 2: what must hold before whylogs is imported, in one place.

whylogs 1.6.4 (its last release) still names `np.unicode_`, an alias numpy 2.0 removed (NEP 52):
`whylogs/core/datatypes.py` matches string columns with `issubclass(t, (str, np.unicode_))`,
so profiling any DataFrame with a string column raises AttributeError. `unicode_` is the only
removed name whylogs uses (tests/unit/test_monitoring_compat.py scans whylogs' source for
others, so an upgrade that needs more fails there rather than in production).

whylogs also reports usage to its vendor's host (stats.whylogs.com) from a thread started at
import, unless WHYLOGS_NO_ANALYTICS is set: a lab may not reach the internet at all, and must
not send what its people do anywhere unasked.

`apply()` is called by `profiles` before its first `import whylogs`; it is idempotent.
"""

from __future__ import annotations

import os

import numpy as np

# The numpy 1 names whylogs uses that numpy 2 removed, with what they were aliases of.
NUMPY_ALIASES: dict[str, object] = {"unicode_": np.str_}

TELEMETRY_OPT_OUT = "WHYLOGS_NO_ANALYTICS"


def apply() -> None:
    """Restore the removed numpy aliases whylogs uses and opt out of whylogs' usage reports.

    Names numpy still has are left alone, so this is a no-op on numpy 1 and when repeated; an
    opt-out already in the environment (whatever its value: whylogs only checks it is set) is
    kept.
    """
    for name, target in NUMPY_ALIASES.items():
        if name not in vars(np):
            setattr(np, name, target)
    os.environ.setdefault(TELEMETRY_OPT_OUT, "1")
