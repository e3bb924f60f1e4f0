"""The HTML report: a page of sections, each added by one capability of the platform."""
from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import polars as pl
from jinja2 import Environment, select_autoescape


@dataclass
class Section:
    id: str
    title: str
    body: str          # trusted HTML built by the report's own helpers


def table(frame: pl.DataFrame, *, money: tuple[str, ...] = (), percent: tuple[str, ...] = (),
          caption: str | None = None) -> str:
    """A frame as an HTML table, numbers right-aligned with thousands separators; the caption
    names the table for screen readers."""
    def cell(col: str, v) -> str:
        if v is None:
            return "<td></td>"
        if col in percent:
            return f'<td class="num">{v:.1f}%</td>'
        if col in money or isinstance(v, (int, float)):
            return f'<td class="num">{v:,.0f}</td>' if isinstance(v, int) or col in money else f'<td class="num">{v:,.2f}</td>'
        return f"<td>{html.escape(str(v))}</td>"
    head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in frame.columns)
    rows = "".join("<tr>" + "".join(cell(c, v) for c, v in zip(frame.columns, r)) + "</tr>" for r in frame.iter_rows())
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f'<table>{title}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def write_report(path: Path, title: str, sections: list[Section], facts: dict[str, str]) -> Path:
    env = Environment(autoescape=select_autoescape(["html"]))
    template = env.from_string(files(__package__).joinpath("templates/report.html").read_text("utf-8"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(template.render(title=title, sections=sections, facts=facts,
                                    generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M")), "utf-8")
    return path
