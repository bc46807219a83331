"""The action registry and what every action declares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, TypeVar

REGISTRY: dict[str, type[Action]] = {}


class Action:
    """An action on a cloud resource or a finding; subclasses declare these three."""

    name: ClassVar[str] = ""
    acts_on: ClassVar[tuple[str, ...]] = ()  # resource types, e.g. "ec2:instance"
    permissions: ClassVar[tuple[str, ...]] = ()  # IAM actions it needs (docs/gpus.md)


A = TypeVar("A", bound=type[Action])


def register(cls: A) -> A:
    """Add an action class to :data:`REGISTRY` under its ``name``."""
    if not cls.name or cls.name in REGISTRY:
        raise ValueError(f"action {cls.__name__} needs a unique name, got {cls.name!r}")
    REGISTRY[cls.name] = cls
    return cls


@dataclass(frozen=True)
class Outcome:
    """What came of asking for an action, for the person who asked.

    ``result`` is ``ok``, ``refused``, ``failed`` (all audited) or ``duplicate`` (someone
    else's identical request already ran or is running: nothing done, nothing audited).
    """

    result: str
    message: str
    at: datetime
    user: str
    finding_id: str
