"""The sample org's bill, ingested into a real store, for the economics tests.

The truth (the generator's own table) is kept beside the store, so a test can
compute what it expects independently, with pandas, from the lines that went in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa

from bot.costs.exports import write_cur2
from bot.costs.ingest import ingest
from bot.costs.sample import generate_org
from bot.costs.store import CostStore

END = date(2024, 10, 20)
DAYS = 120
TEAM_KEYS = ("team", "Team", "team_name")


@dataclass
class SampleBill:
    """The store and the truth it was built from."""

    store: CostStore
    truth: pa.Table
    lines: pd.DataFrame  # one row per line, with `day`, `month` and `team` columns


def build_sample_bill(directory: Path) -> SampleBill:
    """Generate the sample org, write it as CUR 2.0, ingest it into ``directory``/costbot.db."""
    truth = generate_org(END, DAYS)
    write_cur2(truth, directory / "cur2")
    store = CostStore(directory / "costbot.db")
    ingest(
        store,
        [str(directory / "cur2")],
        allocation_tags=("team", "project", "environment"),
        aliases={"team_name": "team", "env": "environment"},
    )
    lines = truth.to_pandas()
    lines["day"] = lines["charge_start"].dt.date
    lines["month"] = lines["charge_start"].dt.strftime("%Y-%m")
    lines["team"] = lines["tags"].map(
        lambda tags: next((v for k, v in tags if k in TEAM_KEYS), None)
    )
    return SampleBill(store, truth, lines)
