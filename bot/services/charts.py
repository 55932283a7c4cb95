"""What the bot's charts (the digest's bars, «Динамика»'s lines) share: matplotlib set up once,
a figure on the Agg canvas, the PNG bytes, and how a name and a score are written on a chart.

matplotlib (with numpy and PIL) is imported with the first chart, not with the bot
(tests/test_lazy_imports.py). Never pyplot: a `Figure` with its own Agg canvas has no global
state, so a chart may be drawn in a worker thread (`asyncio.to_thread`) while the event loop
goes on. The only global is matplotlib's configuration, set once, before the first figure.
"""

from __future__ import annotations

import functools
import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Ships with matplotlib and has Cyrillic.
FONT = "DejaVu Sans"
DPI = 100
LABEL_LIMIT = 40  # characters of a group's or a person's name on a chart
# zlib's level 3 rather than PIL's 6: a quarter faster on the digest's 800 × 4,000 px image,
# and 3 % larger.
PNG_COMPRESSION = 3


def label(name: str) -> str:
    """A name cut to LABEL_LIMIT characters, with «…» where it was cut."""
    return name if len(name) <= LABEL_LIMIT else name[: LABEL_LIMIT - 1].rstrip() + "…"


def decimal(value: float) -> str:
    """A score as the texts write it: one decimal, a comma («87,5»)."""
    return f"{value:.1f}".replace(".", ",")


@functools.cache
def _configure() -> None:
    import matplotlib

    matplotlib.rcParams.update(
        {
            "font.family": FONT,
            # matplotlib 3.11 measures, lays out and renders text glyph by glyph, and the
            # digest has about 5,000 glyphs: FreeType's autohinter (matplotlib's default)
            # made that a third slower. Unhinted DejaVu Sans reads as well at 6 to 12 pt.
            "text.hinting": "no_hinting",
        }
    )


def new_figure(width: float, height: float) -> Figure:
    """An empty figure of the given size in inches, on its own Agg canvas."""
    _configure()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def png(figure: Figure) -> bytes:
    """The figure drawn and written as PNG. Blocking: run it in a worker thread."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": PNG_COMPRESSION})
    return buffer.getvalue()
