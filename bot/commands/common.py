"""What every CLI command shares: settings for ``--db``, and errors turned into exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from bot.costs.grammar import QueryParseError
from bot.errors import CostbotError
from bot.settings import Settings

DB_HELP = "Store file (default ./costbot.db or $COSTBOT_DB)."


def settings_for(db: str | None) -> Settings:
    """Return the settings from the environment, with ``--db`` applied."""
    return Settings.from_env(None, db_path=Path(db)) if db else Settings.from_env()


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``costbot: message`` to stderr and exit with ``code``."""
    click.echo(f"costbot: {message}", err=True)
    sys.exit(code)


def run_or_exit(fn: Callable[[], Any]) -> Any:
    """Call ``fn``; a question not understood exits 2, any other costbot error exits 1."""
    try:
        return fn()
    except QueryParseError as exc:
        fail(str(exc), 2)
    except CostbotError as exc:
        fail(str(exc), 1)
