"""Keep sqlite-utils from importing pandas and numpy at start-up.

sqlite-utils imports pandas and numpy, when installed, only to map their
scalar types to SQLite column types; costbot never hands it either. pandas
alone is a third of a second of process start, and every command opens the
store, so while ``sqlite_utils.db`` runs its module body those two imports
fail (it catches ImportError), and nowhere else. Code that needs pandas or
numpy imports them as usual.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

_HIDDEN = frozenset({"pandas", "numpy"})
_FRAMES_TO_CHECK = 12


class _HideFromSqliteUtils:
    """A meta path finder that refuses pandas/numpy to ``sqlite_utils.db``'s module body."""

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name not in _HIDDEN:
            return None
        frame = sys._getframe(1)
        for _ in range(_FRAMES_TO_CHECK):
            if frame is None:
                break
            if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") == (
                "sqlite_utils.db"
            ):
                raise ImportError(f"{name} is not needed by sqlite_utils in costbot")
            frame = frame.f_back  # type: ignore[assignment]
        return None


def install() -> None:
    """Install the finder once, first in line."""
    if not any(isinstance(f, _HideFromSqliteUtils) for f in sys.meta_path):
        sys.meta_path.insert(0, _HideFromSqliteUtils())
