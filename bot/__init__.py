"""costbot: Slack ChatOps for AI/GPU cloud spend on AWS."""

from bot import _lean_imports

__version__ = "0.1.0"

_lean_imports.install()
