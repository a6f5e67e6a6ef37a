"""Page layout for the PDF report: plain text that wraps, tables whose rows grow, pages that flow.

matplotlib draws the PDF (no extra dependency), but its defaults are made for charts, not for a
finance document:
- text between two "$" is read as math ("$-105 to $713" printed as an italic "-105to713"), so every
  text drawn here has `parse_math=False` (`TEXT`), and `fix_ticks` turns an axis' numbers into fixed
  labels drawn the same way (a tick label created later would not inherit the setting);
- `ax.table` has one fixed row height, so long evidence had to be cut; `Flow.table` wraps each cell to
  its column and lets the row grow, and starts a new page (header repeated) when one is full;
- DejaVu Sans has no Chinese or Japanese glyphs, so `families()` adds an installed Noto Sans CJK
  (Debian's fonts-noto-cjk) as a fallback family; matplotlib embeds the glyphs a page uses. No font is
  ever downloaded: without one, CJK text prints as empty boxes but the report is still written.

Widths are measured with the same fonts and metrics the PDF uses, not guessed from a character count. Coordinates below are inches from the page's top-left corner.
"""

from __future__ import annotations

import functools
import os
import threading

PAGE_W, PAGE_H = 11.69, 8.27  # A4 landscape
MARGIN = 0.45
BASE_FAMILY = "DejaVu Sans"
# Simplified Chinese first: store names in the uploads we see are more often Chinese; every face
# covers Japanese kana too. Any of them is enough.
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans CJK KR", "Noto Sans CJK HK",
                "Noto Serif CJK SC", "Noto Serif CJK JP", "WenQuanYi Zen Hei", "Droid Sans Fallback")
LINE = 1.28  # line height as a multiple of the font size
INK, MUTED = "#222222", "#555555"

_font_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def cjk_family() -> str | None:
    """The installed CJK font family matplotlib can use, or None.

    matplotlib's font cache is built once per matplotlib version, so a font installed after that (apt-get
    install fonts-noto-cjk on a running machine) is not in it: look on disk and add it then."""
    from matplotlib import font_manager as fm

    with _font_lock:
        names = {f.name for f in fm.fontManager.ttflist}
        found = next((f for f in CJK_FAMILIES if f in names), None)
        if found:
            return found
        for path in fm.findSystemFonts():
            base = os.path.basename(path).lower()
            if "cjk" in base or "wqy" in base or "droidsansfallback" in base:
                try:
                    fm.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        names = {f.name for f in fm.fontManager.ttflist}
        return next((f for f in CJK_FAMILIES if f in names), None)


def families() -> list[str]:
    """DejaVu Sans, then the CJK family when one is installed (matplotlib falls back glyph by glyph)."""
    cjk = cjk_family()
    return [BASE_FAMILY, cjk] if cjk else [BASE_FAMILY]


def text_kw(**kw) -> dict:
    """Keyword arguments for every text drawn in the PDF: no math parsing, no TeX, our fonts."""
    return {"parse_math": False, "usetex": False, "fontfamily": families(), **kw}


@functools.lru_cache(maxsize=1)
def _text_to_path():
    from matplotlib.textpath import TextToPath

    return TextToPath()


@functools.lru_cache(maxsize=20_000)
def text_width(text: str, size: float, weight: str = "normal") -> float:
    """Width of one line of text in inches, as the PDF draws it: unhinted font metrics (TextToPath), the
    same glyph fallback; Agg's hinted widths at screen sizes differ from the PDF's by a few percent."""
    from matplotlib.font_manager import FontProperties

    if not text:
        return 0.0
    prop = FontProperties(family=families(), size=size, weight=weight)
    with _font_lock:
        w, _, _ = _text_to_path().get_text_width_height_descent(text, prop, ismath=False)
    return w / 72.0


def wrap(text: str, width: float, size: float, weight: str = "normal") -> list[str]:
    """Lines of `text` that each fit in `width` inches; breaks at spaces, inside a word only when the word
    alone is too wide (long numbers, URLs, Chinese or Japanese text without spaces). Keeps line breaks.

    A line's width is the sum of its words' and spaces' widths (each word measured once: measuring is the
    slow part); 1% is kept spare for the kerning that summing leaves out."""
    width *= 0.99
    space = text_width(" ", size, weight)
    lines: list[str] = []
    for para in str(text).split("\n"):
        line, line_w = "", 0.0
        for word in para.split():
            w = text_width(word, size, weight)
            if line and line_w + space + w <= width:
                line, line_w = f"{line} {word}", line_w + space + w
                continue
            if line:
                lines.append(line)
            if w <= width:
                line, line_w = word, w
                continue
            line, line_w = "", 0.0
            for ch in word:  # break inside the word, character by character
                cw = text_width(ch, size, weight)
                if line and line_w + cw > width:
                    lines.append(line)
                    line, line_w = "", 0.0
                line, line_w = line + ch, line_w + cw
        lines.append(line)
    return lines


def wrapped(text: str, width: float, size: float, weight: str = "normal") -> str:
    """`wrap` joined with line breaks, for a title or a tick label."""
    return "\n".join(wrap(text, width, size, weight))


def fix_ticks(ax, axis: str, fmt) -> None:
    """Freeze the numeric ticks of `axis` ("x" or "y") as labels made by `fmt`, drawn with math parsing
    off (tick labels matplotlib creates at save time would not inherit `parse_math`)."""
    get_lim, set_ticks, locs = ((ax.get_xlim, ax.set_xticks, ax.xaxis.get_majorticklocs) if axis == "x"
                                else (ax.get_ylim, ax.set_yticks, ax.yaxis.get_majorticklocs))
    lo, hi = sorted(get_lim())
    ticks = [t for t in locs() if lo - 1e-9 * abs(hi - lo) <= t <= hi + 1e-9 * abs(hi - lo)]
    set_ticks(ticks, [fmt(t) for t in ticks], **text_kw(fontsize=7))


def plain(fig) -> None:
    """Last pass over a page: no text on it is read as math (titles and labels set through axes too)."""
    from matplotlib.text import Text

    for t in fig.findobj(Text):
        t.set_parse_math(False)
        t.set_usetex(False)


class Flow:
    """Blocks of text and tables flowing down A4 landscape pages (a new page when one is full).

    `y` is the distance from the top of the current page, in inches. `pages` are matplotlib Figures."""

    def __init__(self):
        self.pages: list = []
        self.y = 0.0
        self.new_page()

    # ---- pages
    def new_page(self):
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=(PAGE_W, PAGE_H))
        self.pages.append(self.fig)
        self.y = MARGIN
        return self.fig

    @property
    def width(self) -> float:
        return PAGE_W - 2 * MARGIN

    def room(self) -> float:
        return PAGE_H - MARGIN - 0.25 - self.y  # 0.25 in kept for the page number

    def need(self, height: float) -> None:
        if height > self.room() and self.y > MARGIN + 0.01:
            self.new_page()

    # ---- drawing in inches
    def _xy(self, x: float, y: float) -> tuple[float, float]:
        return x / PAGE_W, 1 - y / PAGE_H

    def put(self, x: float, y: float, text: str, size: float, **kw) -> None:
        """Text whose first line's top is at `y`; one Text per line, on baselines LINE x size apart (so the
        height `wrap` promised is the height drawn, whatever glyphs a line holds)."""
        for k, line in enumerate(str(text).split("\n")):
            if line:
                base = y + (k * LINE + 0.95) * size / 72
                self.fig.text(*self._xy(x, base), line, **text_kw(fontsize=size, va="baseline", **kw))

    def rect(self, x: float, y: float, w: float, h: float, colour: str, **kw):
        from matplotlib.patches import Rectangle

        self.fig.add_artist(Rectangle(self._xy(x, y + h), w / PAGE_W, h / PAGE_H, transform=self.fig.transFigure,
                                      facecolor=colour, edgecolor="none", **kw))

    def hline(self, x0: float, x1: float, y: float, colour: str = "#e0e0e0", lw: float = 0.6):
        from matplotlib.lines import Line2D

        (xa, ya), (xb, _) = self._xy(x0, y), self._xy(x1, y)
        self.fig.add_artist(Line2D([xa, xb], [ya, ya], transform=self.fig.transFigure, color=colour, linewidth=lw))

    # ---- blocks
    def text(self, text: str, size: float = 9, weight: str = "normal", color: str = INK, indent: float = 0.0,
             width: float | None = None, after: float = 0.06) -> None:
        """A paragraph wrapped to the page width (or `width`); moves to a new page if it does not fit."""
        width = (self.width - indent) if width is None else width
        lines = wrap(text, width, size, weight)
        h = len(lines) * size * LINE / 72
        self.need(h)
        self.put(MARGIN + indent, self.y, "\n".join(lines), size, weight=weight, color=color)
        self.y += h + after

    def space(self, inches: float) -> None:
        self.y += inches

    def table(self, columns: list[str], rows: list[list[str]], widths: list[float], size: float = 7,
              bar_colours: list[str] | None = None, text_colours: dict | None = None, weights: dict | None = None) -> None:
        """A table across the page: `widths` are shares of the page width; every cell wraps and a row is as
        tall as its tallest cell. `bar_colours` draws a colour bar left of each row (as the HTML report's
        left border); `text_colours` {column: [colour per row]}; `weights` {column: "bold"}."""
        pad, bar = 0.05, 0.06
        total = self.width - bar
        col_w = [w / sum(widths) * total for w in widths]
        line_h = size * LINE / 72
        weights = weights or {}

        def cells(values, weight_of):
            return [wrap("" if v is None else str(v), w - 2 * pad, size, weight_of(j)) for j, (v, w) in
                    enumerate(zip(values, col_w))]

        head = cells(columns, lambda j: "bold")
        head_h = max(len(c) for c in head) * line_h + 2 * pad

        def draw_header():
            self.rect(MARGIN, self.y, self.width, head_h, "#f0f0f0")
            x = MARGIN + bar
            for lines, w in zip(head, col_w):
                self.put(x + pad, self.y + pad, "\n".join(lines), size, weight="bold", color=INK)
                x += w
            self.y += head_h
            self.hline(MARGIN, MARGIN + self.width, self.y, "#bdbdbd")

        self.need(head_h + line_h * 3)
        draw_header()
        for i, row in enumerate(rows):
            body = cells(row, lambda j: weights.get(columns[j], "normal"))
            h = max(len(c) for c in body) * line_h + 2 * pad
            if h > self.room():
                self.new_page()
                draw_header()
            if bar_colours:
                self.rect(MARGIN, self.y, bar, h, bar_colours[i])
            x = MARGIN + bar
            for j, (lines, w) in enumerate(zip(body, col_w)):
                colour = (text_colours or {}).get(columns[j], [INK] * len(rows))[i]
                self.put(x + pad, self.y + pad, "\n".join(lines), size, color=colour,
                         weight=weights.get(columns[j], "normal"))
                x += w
            self.y += h
            self.hline(MARGIN, MARGIN + self.width, self.y)
        self.y += 0.15

    def chart_page(self):
        """A fresh page for charts (its figure), after the flowing text."""
        return self.new_page()

    def finish(self, footer: str) -> list:
        """Page numbers ("footer · page 2 of 4") and no math parsing on any page; returns the pages."""
        n = len(self.pages)
        for k, fig in enumerate(self.pages, start=1):
            fig.text(MARGIN / PAGE_W, 0.25 / PAGE_H, f"{footer} · page {k} of {n}", **text_kw(fontsize=7, color=MUTED))
            plain(fig)
        return self.pages
