"""The digest's bar chart: scores by group, a PNG (DESIGN §6).

Built with `matplotlib.figure.Figure` and the Agg canvas, never pyplot: no global state, so
it may run in a worker thread (`asyncio.to_thread`) while the event loop goes on. DejaVu
Sans ships with matplotlib and has Cyrillic. The texts (title, legend) come from the caller,
who has the catalogue; this module only draws.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NORMAL_COLOUR = "#4c72b0"
LOWEST_COLOUR = "#dd5144"
FONT = "DejaVu Sans"
WIDTH = 8.0  # inches
DPI = 100
# Height per bar, and the cap: 200 groups give a 40-inch (4,000 px) image, within
# Telegram's photo limits (width + height ≤ 10,000, sides ratio ≤ 20).
BAR_HEIGHT = 0.2
MIN_HEIGHT = 3.0
MAX_HEIGHT = 40.0
LABEL_LIMIT = 40  # characters of a group name on the axis
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


def _label(name: str) -> str:
    return name if len(name) <= LABEL_LIMIT else name[: LABEL_LIMIT - 1].rstrip() + "…"


def _font_size(count: int) -> float:
    if count <= 20:
        return 10.0
    if count <= 60:
        return 8.0
    return 6.0


def figure_height(count: int) -> float:
    return min(MAX_HEIGHT, max(MIN_HEIGHT, 1.2 + BAR_HEIGHT * count))


def build_figure(bars: Sequence[Bar], texts: ChartTexts) -> Figure:
    """Horizontal bars in the given order from the top (the digest passes best first)."""
    # matplotlib (with numpy and PIL) is loaded on the first chart, not with the bot.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    height = figure_height(len(bars))
    figure = Figure(figsize=(WIDTH, height), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    size = _font_size(len(bars))
    # Margins in inches, from the longest label: a layout engine ("constrained") would find
    # them too, but it draws the chart several times and makes 200 groups half again slower.
    longest = max((len(_label(bar.name)) for bar in bars), default=0)
    left = min(0.45 * WIDTH, longest * size * CHAR_WIDTH / 72 + 0.25)
    # The title and the legend share the top margin; a tall chart has the scale there too.
    top = 0.85 if len(bars) > 40 else 0.55
    figure.subplots_adjust(
        left=left / WIDTH, right=1 - 0.15 / WIDTH, top=1 - top / height, bottom=0.45 / height
    )
    positions = list(range(len(bars)))
    axes.barh(positions, [bar.score for bar in bars], color=colours(bars), height=0.7)
    # Names come from the roster: «$…$» in one is text, not mathtext (a bad formula raises).
    axes.set_yticks(
        positions,
        [_label(bar.name) for bar in bars],
        fontsize=size,
        fontfamily=FONT,
        parse_math=False,
    )
    # The first bar on top, and no empty margin above it or below the last one.
    axes.set_ylim(len(bars) - 0.4, -0.6)
    axes.set_xlim(0, 108)  # room for the figures at the ends of the bars
    # A tall chart gets the scale on top too, so it can be read without scrolling down.
    axes.tick_params(axis="x", labelsize=size, top=len(bars) > 40, labeltop=len(bars) > 40)
    for position, bar in zip(positions, bars, strict=True):
        axes.text(
            bar.score + 0.8,
            position,
            f"{bar.score:.1f}".replace(".", ","),
            va="center",
            fontsize=size,
            fontfamily=FONT,
        )
    figure.suptitle(
        texts.title,
        x=0.15 / WIDTH,
        y=1 - 0.1 / height,
        ha="left",
        va="top",
        fontsize=12,
        fontfamily=FONT,
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
            prop={"family": FONT, "size": 9},
        )
    return figure


def render_png(bars: Sequence[Bar], texts: ChartTexts) -> bytes:
    """The chart as PNG bytes. Blocking (about a second for 200 groups): run it in a thread."""
    figure = build_figure(bars, texts)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
