"""What the bot's charts (the digest's bars, «Динамика»'s lines) share: matplotlib set up once,
a figure on the Agg canvas, the PNG bytes, and how a name and a score are written on a chart.

matplotlib (with numpy and PIL) is imported with the first chart, not with the bot
(tests/test_lazy_imports.py). Never pyplot: a `Figure` with its own Agg canvas has no global
state, so a chart may be drawn in a worker thread (`asyncio.to_thread`) while the event loop
goes on. The only global is matplotlib's configuration, set once, before the first figure.
The first chart of a process pays for the import (`_import_matplotlib`: what it costs and
what is done about it); bench.digest times it in fresh processes.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import struct
import sys
import threading
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from bot.services.collector import collector_paused

if TYPE_CHECKING:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.text import Text

# Ships with matplotlib and has Cyrillic.
FONT = "DejaVu Sans"
DPI = 100
LABEL_LIMIT = 40  # characters of a group's or a person's name on a chart
# zlib's level 3 rather than 6: a quarter faster on the digest's 800 × 4,000 px image, and
# 3 % larger.
PNG_COMPRESSION = 3
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def label(name: str) -> str:
    """A name cut to LABEL_LIMIT characters, with «…» where it was cut."""
    return name if len(name) <= LABEL_LIMIT else name[: LABEL_LIMIT - 1].rstrip() + "…"


def decimal(value: float) -> str:
    """A score as the texts write it: one decimal, a comma («87,5»)."""
    return f"{value:.1f}".replace(".", ",")


def configure() -> None:
    """matplotlib imported and set up, once in a process: the first chart does it (and
    bench.digest, to time it apart). Two first charts in two threads: the second waits."""
    with _configuring:
        _configure_once()


_configuring = threading.Lock()


@functools.cache
def _configure_once() -> None:
    _import_matplotlib()
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


_SET_DOCUMENTER = "_update_set_signature_and_docstring"  # see _import_matplotlib


def _import_matplotlib() -> None:
    """What drawing needs (the Figure and the Agg canvas, with numpy and PIL) imported at the
    least cost of CPU, for the first chart of a process: the import 0.28-0.31 -> 0.20-0.23 s
    here, and the full collection the first chart paid (0.15 s in bench.digest's process)
    gone. Called once (under configure's lock: the method below is swapped meanwhile).

    - The objects the import makes (some 50,000: modules, classes, the colormaps, the rc
      tables) live as long as the process, and the first full collection after the import
      walked them all, and everything else in the process not frozen yet. They are frozen,
      as `python -m bot run` freezes the bot's own imports (bot/__main__.py), at the same
      cost: whatever else the process holds at that moment is frozen with them, and a
      reference cycle among those objects is never collected. The collector is paused
      during the import, whose young collections walked the new modules again and again.
    - Each Artist class matplotlib defines writes the signature and the docstring of its
      `set()` from every setter's docstring (`Artist._update_set_signature_and_docstring`,
      called from `__init_subclass__`): a third of the import's CPU, for `help()`. While
      the modules are imported, only the mark matplotlib checks is written; `set()` itself
      works as before, and a class defined later is documented as before. A private method
      (matplotlib 3.11 has it): if it is gone, nothing is changed and the import pays.
    - numpy's OpenBLAS starts a thread per core when it is loaded, and the thread spins
      waiting for work: 0.04-0.05 s of CPU on this 2-core machine, in a second thread, for
      a process whose only linear algebra is a chart's 2 × 2 transforms
      (`_one_blas_thread`).
    """
    with collector_paused(), _one_blas_thread():
        try:
            from matplotlib.artist import Artist

            documented = Artist.__dict__.get(_SET_DOCUMENTER)
            if documented is not None:
                setattr(Artist, _SET_DOCUMENTER, classmethod(_mark_set))
            try:
                import matplotlib.backends.backend_agg
                import matplotlib.figure  # noqa: F401
            finally:
                if documented is not None:
                    setattr(Artist, _SET_DOCUMENTER, documented)
        finally:
            gc.freeze()


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """numpy loaded (within the block) with one OpenBLAS thread: the first chart's import
    0.20-0.22 -> 0.15-0.17 s of CPU in fresh processes here, the drawing the same. OpenBLAS
    reads OPENBLAS_NUM_THREADS when numpy loads it, and the variable is removed after; if it
    was set, or numpy was loaded before (by another import), nothing is changed."""
    if "numpy" in sys.modules or _BLAS_THREADS in os.environ:
        yield
        return
    os.environ[_BLAS_THREADS] = "1"
    try:
        yield
    finally:
        os.environ.pop(_BLAS_THREADS, None)


_BLAS_THREADS = "OPENBLAS_NUM_THREADS"


def _mark_set(cls: type) -> None:
    """The mark by which matplotlib gives each later Artist subclass a `set()` of its own."""
    cls.set._autogenerated_signature = True  # type: ignore[attr-defined]


def new_figure(width: float, height: float) -> Figure:
    """An empty figure of the given size in inches, on its own Agg canvas (`_canvas_class`)."""
    configure()
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI)
    _canvas_class()(figure)
    return figure


@functools.cache
def _canvas_class() -> type[FigureCanvasAgg]:
    """matplotlib's Agg canvas, whose renderer draws a line of text as one image, laid out
    once: what matplotlib 3.10 and earlier did, and 3.11 does glyph by glyph.

    matplotlib 3.11 lays a line out twice, once to measure it (FT2Font.set_text) and once
    to draw it (FT2Font._layout), and then draws it glyph by glyph in Python (a matrix,
    a FreeType render and a composite per glyph). The digest's 200 names and 200 scores are
    about 4,700 glyphs: 0.35 of the later chart's 0.42 s of CPU were its text. This renderer
    measures a line with set_text as matplotlib does, keeps the line's bitmap drawn from that
    same layout (draw_glyphs_to_bitmap, FreeType's loop in C), and draws the bitmap at the
    line's place when matplotlib draws the text; the later chart 0.42 -> 0.23 s. The metrics
    are matplotlib's own (the same calls), so every text stands where it stood; its pixels
    differ by at most one (the line is placed on a whole pixel, its glyphs not each on a
    fraction of one). Rotated text (trends' axis label), mathtext, text drawn without
    antialiasing and text with OpenType features or a language of its own are drawn by
    matplotlib's own code.

    Made at the first chart: matplotlib is not imported before (tests/test_lazy_imports.py).
    """
    from matplotlib.backends import backend_agg

    agg: Any = backend_agg  # its functions are not annotated

    class Line(NamedTuple):
        width: float  # pixels, as RendererAgg.get_text_width_height_descent
        height: float
        descent: float
        image: Any  # numpy uint8 array: the line's glyphs, antialiased
        left: float  # where the image starts, from the line's origin (pixels)
        top: float

    class Renderer(agg.RendererAgg):  # type: ignore[misc]
        def __init__(self, width: float, height: float, dpi: float) -> None:
            super().__init__(width, height, dpi)
            self._lines: dict[tuple[str, int, Any], Line] = {}

        def _line(self, text: str, prop: FontProperties) -> Line:
            flags = agg.get_hinting_flag()
            key = (text, hash(prop), flags)  # FontProperties are equal when their hashes are
            line = self._lines.get(key)
            if line is None:
                font = self._prepare_font(prop)
                font.set_text(text, 0.0, flags=flags)
                width, height = font.get_width_height()
                font.draw_glyphs_to_bitmap(antialiased=True)
                left, top = font.get_bitmap_offset()
                line = Line(
                    width / 64,
                    height / 64,
                    font.get_descent() / 64,
                    font.get_image(),
                    left / 64,
                    top / 64,
                )
                self._lines[key] = line
            return line

        def get_text_width_height_descent(
            self, s: str, prop: FontProperties, ismath: Any
        ) -> tuple[float, float, float]:
            if ismath:
                return super().get_text_width_height_descent(s, prop, ismath)  # type: ignore[no-any-return]
            line = self._line(s, prop)
            return line.width, line.height, line.descent

        def draw_text(
            self,
            gc: Any,
            x: float,
            y: float,
            s: str,
            prop: FontProperties,
            angle: float,
            ismath: Any = False,
            mtext: Text | None = None,
        ) -> None:
            if (
                ismath
                or angle
                or not gc.get_antialiased()
                or any(getattr(mtext, own, _nothing)() for own in _TEXT_OF_ITS_OWN)
            ):
                super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
                return
            line = self._line(s, prop)
            # As matplotlib 3.10 placed it: y is downwards, at the line's baseline; the
            # image's bottom side goes one pixel under the descent.
            self._renderer.draw_text_image(
                line.image, round(x + line.left), round(y + line.top + line.descent) + 1, 0, gc
            )

    class Canvas(agg.FigureCanvasAgg):  # type: ignore[misc]
        _lastKey: tuple[int, int, float] | None = None  # as FigureCanvasAgg's

        def get_renderer(self) -> Renderer:
            # FigureCanvasAgg.get_renderer, making this renderer: a new one when the size
            # or the resolution changed.
            width, height = self.get_width_height(physical=True)
            key = width, height, self.figure.dpi
            if self._lastKey != key:
                self.renderer = Renderer(width, height, self.figure.dpi)
                self._lastKey = key
            return self.renderer

    return Canvas


# A Text's OpenType features and language (matplotlib 3.11; the pyproject allows 3.8 on).
_TEXT_OF_ITS_OWN = ("get_fontfeatures", "get_language")


def _nothing() -> None:
    return None


def png(figure: Figure) -> bytes:
    """The figure drawn and written as PNG: the pixels savefig would write, as 8-bit RGB.
    Blocking: run it in a worker thread.

    Written here, not by savefig (which hands the canvas to PIL): PIL tries up to four PNG
    filters on every row and keeps the best, and compresses RGBA; the charts' pixels are
    opaque (a white figure) and compress as well unfiltered. The digest's 800 × 4,000 px
    image: 60 -> 30 ms of CPU, 426 -> 370 KB. A chart's figure is opaque, so its alpha,
    always 255, is left out."""
    import numpy as np

    canvas: Any = figure.canvas  # the Agg canvas of new_figure
    canvas.draw()
    width, height = canvas.get_width_height(physical=True)
    pixels = np.asarray(canvas.buffer_rgba())  # rows from the top, RGBA
    rows = np.zeros((height, 1 + 3 * width), np.uint8)  # each: filter type 0 (none), then RGB
    rows[:, 1:].reshape(height, width, 3)[...] = pixels[..., :3]  # a view: written in place
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, not interlaced
    return b"".join(
        (
            PNG_SIGNATURE,
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", zlib.compress(rows.data, PNG_COMPRESSION)),
            _png_chunk(b"IEND", b""),
        )
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
