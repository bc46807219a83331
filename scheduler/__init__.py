"""When things run. Jobs are plain functions of the services in :mod:`scheduler.jobs`."""

from scheduler.schedule import build_scheduler

__all__ = ["build_scheduler"]
