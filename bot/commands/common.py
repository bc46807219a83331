"""What every CLI command shares: settings for ``--db``, and errors turned into exit codes.

Command modules are imported to list their commands (``costbot --help``), so they
import at module level only what every command needs; the settings, the services and
the domain load when a command runs (issue 18: start-up ≤ 0.2 s).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from bot.errors import CostbotError

if TYPE_CHECKING:
    from bot.services import Services
    from bot.settings import Settings

DB_HELP = "Store file (default ./costbot.db or $COSTBOT_DB)."


def settings_for(db: str | None) -> Settings:
    """Return the settings from the environment, with ``--db`` applied."""
    from bot.settings import Settings

    return Settings.from_env(None, db_path=Path(db)) if db else Settings.from_env()


def build_services(settings: Settings, **kwargs: Any) -> Services:
    """Build the services, imported on first use: listing the commands needs none of them."""
    from bot.services import build_services as build

    return build(settings, **kwargs)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``costbot: message`` to stderr and exit with ``code``."""
    click.echo(f"costbot: {message}", err=True)
    sys.exit(code)


def run_or_exit(fn: Callable[[], Any]) -> Any:
    """Call ``fn``; a question not understood exits 2, any other costbot error exits 1."""
    try:
        return fn()
    except CostbotError as exc:
        from bot.costs.grammar import QueryParseError  # loaded already if a question was read

        fail(str(exc), 2 if isinstance(exc, QueryParseError) else 1)
