"""The bot starts without the libraries it needs once a month: matplotlib (charts), openpyxl
(workbooks) and numpy and PIL (which those two load) come in with the first chart or
workbook, not with `import bot.app` (idle memory: 260 → 215 MB max RSS here)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("matplotlib", "numpy", "PIL", "openpyxl")


def test_the_app_imports_none_of_the_monthly_libraries() -> None:
    code = (
        "import json, sys; import bot.app; "
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(loaded.stdout.strip().splitlines()[-1]) == []
