"""whylogs 1.6.4 on numpy 2: profiling fails without scalelab.monitoring._compat and works with
it; the aliases cover every removed numpy name whylogs uses; whylogs' usage reports are off."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from scalelab.monitoring import _compat

BARE = """
import numpy as np
assert "unicode_" not in vars(np), "numpy already has the alias"
import pandas as pd
import whylogs as why
try:
    why.log(pd.DataFrame({"s": ["a", "b"], "x": [1.0, 2.0]}))
except AttributeError as e:
    print("failed:", e)
else:
    print("worked")
"""

THROUGH_SCALELAB = """
import numpy as np
import pandas as pd
from scalelab.monitoring.profiles import profile
p = profile(pd.DataFrame({"s": ["a", "b", "a"], "x": [1.0, 2.0, None]}))
from whylogs.api import usage_stats
print(p.columns["s"].inferred_type, dict(p.columns["s"].frequent.items)["a"],
      p.columns["x"].null_count, np.unicode_ is np.str_, usage_stats._TELEMETRY_DISABLED)
"""


def run(script: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_whylogs_alone_fails_on_numpy_2() -> None:
    """If this starts to say "worked", whylogs no longer needs the aliases: drop _compat."""
    out = run(BARE, {**os.environ, _compat.TELEMETRY_OPT_OUT: "1"})
    assert out.startswith("failed:") and "unicode_" in out, out


def test_profiling_through_scalelab_works_and_reports_no_usage() -> None:
    env = {k: v for k, v in os.environ.items() if k != _compat.TELEMETRY_OPT_OUT}
    assert run(THROUGH_SCALELAB, env) == "string 2 1 True True"


def test_apply_is_idempotent() -> None:
    _compat.apply()
    _compat.apply()
    assert np.unicode_ is np.str_  # type: ignore[attr-defined]
    assert os.environ[_compat.TELEMETRY_OPT_OUT]


def test_the_aliases_cover_every_removed_numpy_name_whylogs_uses() -> None:
    spec = importlib.util.find_spec("whylogs")
    assert spec is not None and spec.submodule_search_locations
    used: set[str] = set()
    for path in Path(spec.submodule_search_locations[0]).rglob("*.py"):
        source = path.read_text(encoding="utf-8", errors="replace")
        # whylogs imports numpy as np (or _np), never names from it.
        assert not re.search(r"^\s*from numpy import", source, re.M), path
        used |= set(re.findall(r"(?<![\w.])_?np\.([A-Za-z_]\w*)", source))
    aliases = set(_compat.NUMPY_ALIASES)
    missing = {name for name in used - aliases if not hasattr(np, name)}
    assert not missing, f"whylogs uses numpy names numpy lacks: {sorted(missing)}"
    assert aliases <= used, f"aliases whylogs no longer uses: {sorted(aliases - used)}"
