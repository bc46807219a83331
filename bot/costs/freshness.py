"""What the store holds, for status lines: each delivery's billing currency.

Read-only queries over the store's tables; the write path stays in
:mod:`bot.costs.store`.
"""

from __future__ import annotations

from bot.costs.store import CostStore


def delivery_currencies(store: CostStore) -> dict[tuple[str, str, str], str]:
    """Map (provider, billing account, billing period) to its currency (``A/B`` when several)."""
    out: dict[tuple[str, str, str], set[str]] = {}
    for provider, account, period, currency in store.conn.execute(
        "SELECT DISTINCT s.provider, s.billing_account, g.billing_period, g.currency "
        "FROM cost_groups g JOIN sources s ON s.id = g.source_id"
    ):
        out.setdefault((str(provider), str(account), str(period)), set()).add(str(currency))
    return {k: "/".join(sorted(v)) for k, v in out.items()}
