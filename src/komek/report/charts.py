"""Small static charts as inline SVG (matplotlib), so a report is one self-contained file."""
from __future__ import annotations

import html
import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PALETTE = ["#1f6f8b", "#e07a5f", "#81b29a", "#f2cc8f", "#3d405b", "#99c1b9"]
plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
                     "svg.fonttype": "none", "figure.dpi": 96})


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def empty(title: str) -> str:
    """What a chart with nothing to draw shows instead of an empty axis."""
    return f'<p class="note"><strong>{html.escape(title)}</strong>: no data to chart.</p>'


def bars(labels: Sequence[str], series: dict[str, Sequence[float]], *, title: str = "", unit: str = "",
         horizontal: bool = True, size: tuple[float, float] = (7, 5)) -> str:
    """Grouped bars: one group per label, one bar per series (a note when there is nothing to draw)."""
    if not len(labels) or all(v is None for values in series.values() for v in values):
        return empty(title or "Chart")
    fig, ax = plt.subplots(figsize=size)
    n = len(series)
    width = 0.8 / n
    for i, (name, values) in enumerate(series.items()):
        pos = [j + (i - (n - 1) / 2) * width for j in range(len(labels))]
        (ax.barh if horizontal else ax.bar)(pos, values, width, label=name, color=PALETTE[i % len(PALETTE)])
    if horizontal:
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
        ax.set_xlabel(unit)
    else:
        ax.set_xticks(range(len(labels)), labels)
        ax.set_ylabel(unit)
    if n > 1:
        ax.legend(frameon=False)
    ax.set_title(title, loc="left")
    return _svg(fig)


def pyramid(ages: Sequence[str], male: Sequence[float], female: Sequence[float], *, title: str = "") -> str:
    """An age-sex pyramid: men to the left, women to the right."""
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.barh(range(len(ages)), [-m for m in male], color=PALETTE[0], label="men")
    ax.barh(range(len(ages)), female, color=PALETTE[1], label="women")
    ax.set_yticks(range(len(ages)), ages)
    ticks = ax.get_xticks()
    ax.set_xticks(ticks, [f"{abs(t):,.0f}" for t in ticks])
    ax.legend(frameon=False)
    ax.set_title(title, loc="left")
    return _svg(fig)


def histogram(values: Sequence[float], *, bins: int = 50, title: str = "", unit: str = "",
              marker: float | None = None, marker_label: str = "") -> str:
    if not len(values):
        return empty(title or "Chart")
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.hist(values, bins=bins, color=PALETTE[0])
    if marker is not None:
        ax.axvline(marker, color=PALETTE[1], linestyle="--", label=marker_label)
        ax.legend(frameon=False)
    ax.set_xlabel(unit)
    ax.set_title(title, loc="left")
    return _svg(fig)
