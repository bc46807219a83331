"""The project's own error classes.

Listeners and the CLI catch :class:`CostbotError` (and nothing broader) to turn a
failure into a message for the user; anything else is a bug and is logged as one.
"""


class CostbotError(Exception):
    """Base class for errors that carry a message fit for the user."""


class SettingsError(CostbotError):
    """A setting is missing or malformed."""


class StoreError(CostbotError):
    """The cost store cannot be opened or is not a costbot store."""


class StoreLocked(StoreError):
    """Another process holds the store to itself (a first ingest loading an empty store)."""
