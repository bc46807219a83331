"""The ingest's bulk-work settings hold for the call only (bot/costs/allocator.py)."""

from __future__ import annotations

import gc
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from bot.costs.allocator import bulk_work, keep_freed_memory


def test_bulk_work_pauses_the_collector_and_puts_arrow_on_the_system_allocator_for_the_call() -> (
    None
):
    before = pa.default_memory_pool().backend_name
    seen: dict[str, object] = {}

    @bulk_work
    def work(x: int) -> int:
        seen["gc"] = gc.isenabled()
        seen["pool"] = pa.default_memory_pool().backend_name
        seen["sum"] = pc.sum(pa.array([x, x])).as_py()  # Arrow still works
        return x + 1

    assert gc.isenabled()
    assert work(20) == 21
    assert seen["gc"] is False and seen["sum"] == 40
    if keep_freed_memory():  # glibc: the settings apply
        assert seen["pool"] == "system"
    assert gc.isenabled()
    assert pa.default_memory_pool().backend_name == before


def test_bulk_work_restores_the_settings_when_the_call_fails() -> None:
    before = pa.default_memory_pool().backend_name

    @bulk_work
    def failing() -> None:
        raise RuntimeError("a bad file")

    with pytest.raises(RuntimeError, match="a bad file"):
        failing()
    assert gc.isenabled()
    assert pa.default_memory_pool().backend_name == before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc settings")
def test_on_linux_with_glibc_the_allocator_takes_the_settings() -> None:
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("not glibc")
    assert keep_freed_memory() is True
