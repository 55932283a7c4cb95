"""The trend chart of /results «Динамика»: scores by month, one line per series, a PNG.

Drawn with `charts`, as the digest's bars (a matplotlib `Figure` on the Agg canvas, never
pyplot, so it runs in a worker thread), and the texts (title, month labels, series names)
from the caller, who has the catalogue. A month
without a value is None and drawn as a gap (NaN breaks the line), never as a zero; every
point has a marker, so a month alone between two gaps still shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.services import charts

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WIDTH, HEIGHT = 8.0, 4.5  # inches
# Distinct enough on a phone; a chart has at most as many lines as there are colours.
COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c")
MAX_LINES = len(COLOURS)


@dataclass(frozen=True)
class Line:
    name: str
    values: Sequence[float | None]  # one per month, None where the month has no result


@dataclass(frozen=True)
class ChartTexts:
    title: str
    months: Sequence[str]  # the x-axis labels, one per month («ноя 25»)
    axis: str  # the y-axis label


def y_limits(lines: Sequence[Line]) -> tuple[float, float]:
    """The shown range: the values with a margin, at least 10 points tall, never below 0
    (and a little over 100, so a point at 100 keeps its label)."""
    values = [value for line in lines for value in line.values if value is not None]
    if not values:
        return 0.0, 100.0
    low, high = min(values) - 3, max(values) + 3
    if high - low < 10:
        middle = (high + low) / 2
        low, high = middle - 5, middle + 5
    return max(0.0, low), min(105.0, high)


def build_figure(lines: Sequence[Line], texts: ChartTexts) -> Figure:
    # matplotlib is loaded with the first chart, not with the bot, and by charts.configure
    # before anything of it is imported here: the import is made cheaper there.
    charts.configure()
    from matplotlib.ticker import FuncFormatter

    figure = charts.new_figure(WIDTH, HEIGHT)
    axes = figure.add_subplot()
    positions = list(range(len(texts.months)))
    for index, line in enumerate(lines[:MAX_LINES]):
        values = [math.nan if value is None else value for value in line.values]
        colour = COLOURS[index]
        axes.plot(positions, values, marker="o", markersize=4, linewidth=2, color=colour)
        shown = [(x, v) for x, v in zip(positions, line.values, strict=True) if v is not None]
        if shown:  # the last value written beside its point
            x, value = shown[-1]
            axes.annotate(
                charts.decimal(value),
                (x, value),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=8,
                color=colour,
            )
        # Names come from the roster: «$…$» in one is text, not mathtext.
        axes.plot(
            [], [], color=colour, linewidth=2, label=charts.label(line.name).replace("$", r"\$")
        )
    axes.set_xticks(positions, list(texts.months), fontsize=8)
    axes.set_xlim(-0.5, len(positions) - 0.5)
    axes.set_ylim(*y_limits(lines))
    axes.set_ylabel(texts.axis, fontsize=9)
    axes.tick_params(axis="y", labelsize=8)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}".replace(".", ",")))
    axes.grid(alpha=0.3)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.set_title(texts.title, loc="left", fontsize=12, parse_math=False)
    axes.legend(loc="best", frameon=False, prop={"size": 8})
    figure.subplots_adjust(left=0.08, right=0.97, top=0.9, bottom=0.1)
    return figure


def render_png(lines: Sequence[Line], texts: ChartTexts) -> bytes:
    """The chart as PNG bytes. Blocking (a few hundred milliseconds): run it in a thread."""
    return charts.png(build_figure(lines, texts))
