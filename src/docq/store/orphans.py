"""Temporary files a killed writer left behind (`NAME.tmp-PID`, `NAME.partial-PID`).

Every file docq writes goes to a temporary name and is renamed into place, so a kill
-9 never leaves a half-written file under a real name; it can leave the temporary one.
The next write removes those whose process is gone.
"""

from __future__ import annotations

import os
from pathlib import Path


def orphans(folder: Path, pattern: str) -> list[Path]:
    """Files matching `pattern` (ending in -PID) whose writer is no longer running."""
    found = []
    for path in folder.glob(pattern):
        pid = path.name.rsplit("-", 1)[-1]
        if pid.isdigit() and (int(pid) == os.getpid() or _alive(int(pid))):
            continue  # still being written
        found.append(path)
    return found


def remove_orphans(folder: Path, pattern: str) -> int:
    removed = 0
    for path in orphans(folder, pattern):
        try:
            path.unlink()
            removed += 1
        except OSError:
            pass
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
