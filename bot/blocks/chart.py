"""The digest chart: 30 days of daily spend stacked by the main group, the forecast dashed.

A pure function from data to PNG bytes, drawn with matplotlib's Agg backend (no
display, no global pyplot state, safe in scheduler threads).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np

from bot.money import NANOS_PER_UNIT

COLORS = ("#1d3557", "#457b9d", "#a8dadc", "#e63946", "#f4a261", "#8d99ae")


def chart_png(
    series: Mapping[str, Sequence[tuple[date, int]]],
    forecast: Sequence[tuple[date, int]] = (),
    *,
    title: str,
    currency: str = "USD",
) -> bytes:
    """Draw stacked daily bars per group plus the dashed daily forecast; return PNG bytes."""
    # Imported here: matplotlib is only needed when a chart is drawn, not to scan or answer.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    days = sorted({d for points in series.values() for d, _ in points})
    x = np.array(days, dtype="datetime64[D]")
    bottom = [0.0] * len(days)
    index = {d: i for i, d in enumerate(days)}
    for n, (name, points) in enumerate(series.items()):
        heights = [0.0] * len(days)
        for d, v in points:
            heights[index[d]] = max(v, 0) / NANOS_PER_UNIT
        ax.bar(
            x,
            heights,
            bottom=bottom,
            label=name[:30],
            color=COLORS[n % len(COLORS)],
        )
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    if forecast:
        xs = np.array([d for d, _ in forecast], dtype="datetime64[D]")
        ys = [v / NANOS_PER_UNIT for _, v in forecast]
        ax.plot(
            xs,
            ys,
            linestyle="--",
            color="#e63946",
            label="forecast",
        )
    ax.set_title(title[:80])
    ax.set_ylabel(f"daily cost ({currency})")
    ax.legend(loc="upper left", fontsize="small", ncols=3)
    ax.tick_params(axis="x", labelrotation=45, labelsize="small")
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
