"""Draw the website's diagrams as SVG from their text sources (``website/diagrams/*.txt``), and
the performance page's chart from its table of measured ratios (``*.tsv``).

Pure Python, no Graphviz: the layout is a few rows of boxes joined by arrows, which is all the
pages need, and the output is byte-for-byte the same on every machine, so a test can redraw
each diagram and compare it with the committed SVG.

A source file::

    title: What is pickled, and when
    row: Construction | your machine :: ParDo(fn) -> *pickler.roundtrip(fn) -> the graph holds fn

``row: LABEL :: BOX -> BOX``; `` | `` breaks a line inside a label or box; a box starting with
``*`` is a step where something is pickled or unpickled (drawn highlighted); ``#`` starts a
comment line. Run ``python website/diagrams/make_diagrams.py`` after editing a source.
"""

from __future__ import annotations

import sys
from html import escape
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "docs" / "img"

FONT = 13
CHAR = 7.4  # average glyph width of a sans-serif font at 13px, generous
LINE = 17
PAD_X, PAD_Y = 10, 8
ARROW = 34  # horizontal gap between boxes
ROW_GAP = 18
MARGIN = 14
TITLE_H = 30


def parse(text: str) -> tuple[str, list[tuple[list[str], list[tuple[list[str], bool]]]]]:
    """(title, rows); each row is (label lines, [(box lines, highlighted)])."""
    title, rows = "", []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(":")
        if key == "title":
            title = value.strip()
        elif key == "row" and " :: " in value:
            label, _, boxes = value.partition(" :: ")
            parsed = []
            for box in boxes.split(" -> "):
                box = box.strip()
                parsed.append(([s.strip() for s in box.lstrip("*").split(" | ")], box[:1] == "*"))
            rows.append(([s.strip() for s in label.split(" | ")], parsed))
        else:
            raise ValueError(f"line {number}: expected `title: ...` or `row: LABEL :: BOX -> BOX`")
    if not title or not rows:
        raise ValueError("a diagram needs a title and at least one row")
    return title, rows


def _width(lines: list[str]) -> float:
    return max(len(s) for s in lines) * CHAR + 2 * PAD_X


def _text(x: float, y: float, lines: list[str], anchor: str, weight: str = "normal") -> str:
    spans = "".join(
        f'<tspan x="{x:.0f}" dy="{0 if i == 0 else LINE}">{escape(s)}</tspan>'
        for i, s in enumerate(lines)
    )
    return (
        f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="{anchor}" font-weight="{weight}">'
        f"{spans}</text>"
    )


def render(text: str) -> str:
    title, rows = parse(text)
    label_w = max(_width(label) for label, _ in rows)
    heights = [max(len(lines) for lines, _ in boxes) * LINE + 2 * PAD_Y for _, boxes in rows]
    widths = [sum(_width(b) for b, _ in boxes) + ARROW * (len(boxes) - 1) for _, boxes in rows]
    width = MARGIN * 2 + label_w + ARROW / 2 + max(widths)
    height = MARGIN * 2 + TITLE_H + sum(heights) + ROW_GAP * (len(rows) - 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" '
        f'font-family="Roboto, Helvetica, Arial, sans-serif" font-size="{FONT}">',
        f"<title>{escape(title)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#455a64"/></marker>'
        "</defs>",
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
        _text(MARGIN, MARGIN + FONT + 2, [title], "start", "bold"),
    ]
    y = MARGIN + TITLE_H
    for (label, boxes), h in zip(rows, heights):
        out.append(
            f'<rect x="{MARGIN - 6}" y="{y - 6:.0f}" width="{width - 2 * MARGIN + 12:.0f}" '
            f'height="{h + 12:.0f}" rx="6" fill="#eceff1"/>'
        )
        top = y + (h - len(label) * LINE) / 2 + FONT
        out.append(_text(MARGIN + 4, top, label, "start", "bold"))
        x = MARGIN + label_w + ARROW / 2
        for i, (lines, hot) in enumerate(boxes):
            w = _width(lines)
            fill, stroke = ("#fff3e0", "#e65100") if hot else ("#ffffff", "#3f51b5")
            out.append(
                f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" rx="4" '
                f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
            )
            top = y + (h - len(lines) * LINE) / 2 + FONT
            out.append(_text(x + w / 2, top, lines, "middle"))
            if i < len(boxes) - 1:
                mid = y + h / 2
                out.append(
                    f'<line x1="{x + w + 2:.0f}" y1="{mid:.0f}" x2="{x + w + ARROW - 3:.0f}" '
                    f'y2="{mid:.0f}" stroke="#455a64" stroke-width="1.5" '
                    'marker-end="url(#arrow)"/>'
                )
            x += w + ARROW
        y += h + ROW_GAP
    out.append("</svg>")
    return "\n".join(out) + "\n"


def parse_ratios(text: str) -> list[tuple[str, float, float | None, str]]:
    """(measure, ratio, goal or None, script) for each line of a ratios table."""
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 4:
            raise ValueError(f"line {number}: expected 4 tab-separated fields")
        measure, ratio, goal, script = fields
        rows.append((measure, float(ratio), None if goal == "-" else float(goal), script))
    return rows


def render_ratios(text: str) -> str:
    """A horizontal bar per measured ratio, a line at 1x (as fast as Beam), each goal marked."""
    rows = parse_ratios(text)
    label_w = max(len(m) for m, *_ in rows) * CHAR + PAD_X
    scale, top_ratio, bar_h, gap = 300, 1.6, 20, 10
    width = MARGIN * 2 + label_w + scale * top_ratio + 60
    height = MARGIN * 2 + TITLE_H + len(rows) * (bar_h + gap) + 2 * LINE
    x0 = MARGIN + label_w
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" '
        f'font-family="Roboto, Helvetica, Arial, sans-serif" font-size="{FONT}">',
        "<title>beam-deps time / Beam's time for the same job (lower is faster)</title>",
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
        _text(
            MARGIN,
            MARGIN + FONT + 2,
            ["beam-deps time / Beam's time (lower is faster)"],
            "start",
            "bold",
        ),
    ]
    y = MARGIN + TITLE_H
    for measure, ratio, goal, _ in rows:
        fill = "#3f51b5" if goal is None or ratio <= goal else "#c62828"
        out.append(_text(x0 - PAD_X, y + bar_h - 6, [measure], "end"))
        out.append(
            f'<rect x="{x0:.0f}" y="{y:.0f}" width="{ratio * scale:.0f}" height="{bar_h}" '
            f'fill="{fill}"/>'
        )
        label = _text(x0 + ratio * scale - 5, y + bar_h - 6, [f"{ratio:.2f}x"], "end")
        out.append(label.replace("<text ", '<text fill="#ffffff" ', 1))
        if goal is not None:
            gx = x0 + goal * scale
            out.append(
                f'<line x1="{gx:.0f}" y1="{y - 3:.0f}" x2="{gx:.0f}" y2="{y + bar_h + 3:.0f}" '
                'stroke="#e65100" stroke-width="3"/>'
            )
        y += bar_h + gap
    one = x0 + scale
    out.append(
        f'<line x1="{one:.0f}" y1="{MARGIN + TITLE_H - 6}" x2="{one:.0f}" y2="{y:.0f}" '
        'stroke="#455a64" stroke-dasharray="4 3"/>'
    )
    out.append(_text(one, y + LINE, ["1x: as long as Beam itself"], "middle"))
    legend = f"{x0:.0f}"
    out.append(
        f'<line x1="{legend}" y1="{y + 2 * LINE - 4:.0f}" x2="{legend}" '
        f'y2="{y + 2 * LINE + 8:.0f}" stroke="#e65100" stroke-width="3"/>'
    )
    out.append(_text(x0 + 8, y + 2 * LINE + 6, ["goal"], "start"))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    """Redraw every diagram; with --check, only say which committed SVG is out of date."""
    stale = []
    sources = [(p, render) for p in sorted(HERE.glob("*.txt"))]
    sources += [(p, render_ratios) for p in sorted(HERE.glob("*.tsv"))]
    for source, draw in sources:
        target = OUT / f"{source.stem}.svg"
        svg = draw(source.read_text())
        if "--check" in argv:
            if not target.is_file() or target.read_text() != svg:
                stale.append(target.name)
        else:
            OUT.mkdir(parents=True, exist_ok=True)
            target.write_text(svg)
    for name in stale:
        print(f"{name} is out of date: run python website/diagrams/make_diagrams.py")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
