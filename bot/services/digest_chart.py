"""The digest's bar chart: scores by group, a PNG (DESIGN §6).

Drawn with `charts` (a matplotlib `Figure` on the Agg canvas, never pyplot), so it may run in
a worker thread. The texts (title, legend) come from the caller, who has the catalogue; this
module only draws.

It is the bot's largest chart (200 groups: 400 texts, 5,000 glyphs), and matplotlib's time
goes into the artists and the glyphs: so the bars are one collection, not 200 patches, and the
names are plain texts beside them, not 200 axis ticks (each a label, a mark and a grid line
made and measured). No layout engine: the margins come from the longest name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.services import charts

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NORMAL_COLOUR = "#4c72b0"
LOWEST_COLOUR = "#dd5144"
WIDTH = 8.0  # inches
# Height per bar, and the cap: 200 groups give a 40-inch (4,000 px) image, within
# Telegram's photo limits (width + height ≤ 10,000, sides ratio ≤ 20).
BAR_HEIGHT = 0.2
MIN_HEIGHT = 3.0
MAX_HEIGHT = 40.0
THICKNESS = 0.7  # of a bar, in its row
NAME_PAD = 4.0  # points between a name and the axis
CHAR_WIDTH = 0.62  # DejaVu Sans: the mean width of a character, in ems (a safe side)


@dataclass(frozen=True)
class Bar:
    name: str
    score: float
    lowest: bool = False


@dataclass(frozen=True)
class ChartTexts:
    title: str
    lowest: str  # the legend of the highlighted bars
    others: str


def colours(bars: Sequence[Bar]) -> list[str]:
    return [LOWEST_COLOUR if bar.lowest else NORMAL_COLOUR for bar in bars]


def _font_size(count: int) -> float:
    if count <= 20:
        return 10.0
    if count <= 60:
        return 8.0
    return 6.0


def figure_height(count: int) -> float:
    return min(MAX_HEIGHT, max(MIN_HEIGHT, 1.2 + BAR_HEIGHT * count))


def build_figure(bars: Sequence[Bar], texts: ChartTexts) -> Figure:
    """Horizontal bars in the given order from the top (the digest passes best first): the
    group's name left of its bar, the score at its end, the lowest in another colour."""
    # matplotlib is loaded with the first chart, not with the bot, and by charts.configure
    # before anything of it is imported here: the import is made cheaper there.
    charts.configure()
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch

    height = figure_height(len(bars))
    figure = charts.new_figure(WIDTH, height)
    axes = figure.add_subplot()
    size = _font_size(len(bars))
    names = [charts.label(bar.name) for bar in bars]
    # Margins in inches, from the longest name: a layout engine ("constrained") would find
    # them too, but it draws the chart several times and makes 200 groups half again slower.
    longest = max((len(name) for name in names), default=0)
    left = min(0.45 * WIDTH, longest * size * CHAR_WIDTH / 72 + 0.25)
    # The title and the legend share the top margin; a tall chart has the scale there too.
    top = 0.85 if len(bars) > 40 else 0.55
    figure.subplots_adjust(
        left=left / WIDTH, right=1 - 0.15 / WIDTH, top=1 - top / height, bottom=0.45 / height
    )
    # Row n is y = n; the first bar on top, and no empty margin above it or below the last.
    axes.set_ylim(len(bars) - 0.4, -0.6)
    axes.set_xlim(0, 108)  # room for the figures at the ends of the bars
    half = THICKNESS / 2
    rows = [
        [(0, row - half), (bar.score, row - half), (bar.score, row + half), (0, row + half)]
        for row, bar in enumerate(bars)
    ]
    axes.add_collection(PolyCollection(rows, facecolors=colours(bars), linewidths=0), autolim=False)
    axes.set_yticks([])
    # Where an axis tick's label would be: left of the axis by NAME_PAD, centred on the row.
    beside_axis, _, _ = axes.get_yaxis_text1_transform(NAME_PAD)
    for row, (name, bar) in enumerate(zip(names, bars, strict=True)):
        # Names come from the roster: «$…$» in one is text, not mathtext (a bad formula raises).
        axes.text(
            0,
            row,
            name,
            transform=beside_axis,
            ha="right",
            va="center_baseline",
            fontsize=size,
            parse_math=False,
        )
        axes.text(bar.score + 0.8, row, charts.decimal(bar.score), va="center", fontsize=size)
    # A tall chart gets the scale on top too, so it can be read without scrolling down.
    axes.tick_params(axis="x", labelsize=size, top=len(bars) > 40, labeltop=len(bars) > 40)
    figure.suptitle(
        texts.title, x=0.15 / WIDTH, y=1 - 0.1 / height, ha="left", va="top", fontsize=12
    )
    axes.grid(axis="x", alpha=0.3)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if any(bar.lowest for bar in bars):
        # Above the bars, right of the title: never over a long bar.
        figure.legend(
            handles=[
                Patch(color=LOWEST_COLOUR, label=texts.lowest),
                Patch(color=NORMAL_COLOUR, label=texts.others),
            ],
            loc="upper right",
            bbox_to_anchor=(1 - 0.1 / WIDTH, 1 - 0.05 / height),
            ncol=2,
            frameon=False,
            prop={"size": 9},
        )
    return figure


def render_png(bars: Sequence[Bar], texts: ChartTexts) -> bytes:
    """The chart as PNG bytes. Blocking (a few tenths of a second for 200 groups): run it in
    a thread."""
    return charts.png(build_figure(bars, texts))
