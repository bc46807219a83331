"""Settings for bulk work (an ingest): keep freed memory, pause the cyclic collector.

**Freed memory.**

An ingest allocates and frees the same few arrays of half a million elements
for every unit it reads. glibc's default returns freed heap tops and large
blocks to the kernel at once, so every unit faults the same pages in again and
the kernel zeroes each one: a fifth of an ingest's CPU on the bench org went
to page faults (issue 18, ``perf``). Two allocator settings keep that memory
in the process: blocks up to 32 MiB come from the heap (glibc's own ceiling for
this setting), and a heap shrinks only past 256 MiB of free space at its top.

Peak memory is what the ingest holds at its busiest either way: memory freed
is reused by the next unit rather than added to. The settings are
process-wide and glibc-only; elsewhere (macOS, musl) they are skipped.

**Arrow's buffers.** pyarrow allocates from its bundled mimalloc by default,
which hands freed pages back to the kernel after a short delay and faults
them in again (in 2 MiB pages, each zeroed) for the next unit. With glibc set
up as above, :func:`bulk_work` points Arrow at the system allocator for the
call: on the bench org about 0.8 s less CPU in all and 90 MB lower peak RSS
(four alternating pairs of runs, issue 18). The previous pool is restored after.

**The cyclic collector.** An ingest creates hundreds of thousands of small
tuples (charge keys), none of them in a reference cycle. Each batch of new
containers sets off a collection that walks every live object, a growing heap,
for nothing: about 2 % of the bench org's ingest. :func:`bulk_work` pauses it
for the call and restores it after.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3
TOP_PAD_BYTES = 256 << 20
MMAP_THRESHOLD_BYTES = 32 << 20

_applied = False


def keep_freed_memory() -> bool:
    """Apply the settings once per process; return whether the allocator took them."""
    global _applied
    if _applied:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    _applied = bool(mallopt(M_TOP_PAD, TOP_PAD_BYTES)) and bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    )
    return _applied


def bulk_work(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` with freed memory kept and the cyclic collector paused (see above)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        restore_pool = _arrow_on_the_system_allocator() if keep_freed_memory() else None
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()
            if restore_pool is not None:
                restore_pool()

    return wrapper


def _arrow_on_the_system_allocator() -> Callable[[], None]:
    """Make the system allocator Arrow's default pool; return how to put the old one back."""
    import pyarrow as pa

    previous = pa.default_memory_pool()
    if previous.backend_name == "system":
        return lambda: None
    pa.set_memory_pool(pa.system_memory_pool())
    return lambda: pa.set_memory_pool(previous)
