"""Bar charts drawn by the templates as inline SVG (`_bars.html`): the geometry of horizontal bars
from a zero line, so a loss goes left and a gain right. No chart library and no inline style (the
pages' CSP): the colours are classes of the style sheet. The numbers are always in a table too."""
from __future__ import annotations

WIDTH, LABEL, VALUE, ROW = 660, 220, 130, 26     # the drawing's units: labels, bars, values side by side
SHORT = 24                                       # characters of a label drawn; the table has it whole


def bars(rows: list[tuple[str, float | None, str]]) -> dict:
    """(label, value or None when suppressed or not known, the value as text) -> what `_bars.html` draws."""
    known = [v for _, v, _ in rows if v is not None]
    low, high = min([0.0, *known]), max([0.0, *known])
    area = WIDTH - LABEL - VALUE
    scale = area / ((high - low) or 1.0)
    zero = LABEL + scale * -low
    drawn = []
    for i, (label, v, text) in enumerate(rows):
        bar = None if v is None else {"x": round(min(zero, zero + scale * v), 1), "w": round(abs(scale * v), 1),
                                      "up": v >= 0}
        drawn.append({"label": label, "short": label if len(label) <= SHORT else label[:SHORT - 1] + "…",
                      "text": text, "y": i * ROW + 4, "bar": bar})
    return {"rows": drawn, "width": WIDTH, "height": len(rows) * ROW + 8, "zero": round(zero, 1), "label": LABEL,
            "row": ROW, "empty": not known}
