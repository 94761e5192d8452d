"""HTML rendering: one self-contained page (inline CSS, figures as base64 PNG, no script and no
external resource), so the file opens in any browser without a network."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import pandas as pd

_CODE = re.compile(r"`([^`]+)`")

STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222;
       max-width: 1100px; margin: 2em auto; padding: 0 1.5em; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { font-size: 1.3em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
p.meta { color: #555; margin-top: 0; }
nav ol { columns: 2; font-size: 0.92em; }
figure { margin: 1.2em 0 1.8em; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.92em; color: #333; margin-top: 0.3em; }
figcaption b { color: #000; }
.missing { background: #fbf3e4; border: 1px solid #e9c98b; padding: 0.8em 1em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.8em 0 1.5em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }
th { background: #f4f4f4; }
td.text, th.text { text-align: left; }
code { background: #f4f4f4; padding: 0 0.25em; font-size: 0.92em; }
"""


def inline(text: str) -> str:
    """Escapes text and turns `backticks` into <code>."""
    return _CODE.sub(r"<code>\1</code>", html.escape(text, quote=False))


@dataclass
class FigureBlock:
    """A figure: an embedded PNG, or a note saying why it is missing."""

    figure_id: str
    title: str
    caption: str
    png_base64: str | None = None
    missing_reason: str | None = None

    def html(self) -> str:
        caption = f"<figcaption><b>{inline(self.title)}.</b> {inline(self.caption)}</figcaption>"
        if self.png_base64 is None:
            reason = inline(self.missing_reason or "no data")
            return (
                f'<figure id="{self.figure_id}" class="missing">'
                f"<p>Figure not available: {reason}</p>{caption}</figure>"
            )
        return (
            f'<figure id="{self.figure_id}">'
            f'<img src="data:image/png;base64,{self.png_base64}" alt="{html.escape(self.title)}">'
            f"{caption}</figure>"
        )


@dataclass
class TableBlock:
    """A small table of query results, already formatted as text."""

    table_id: str
    caption: str
    frame: pd.DataFrame | None
    missing_reason: str | None = None

    def html(self) -> str:
        if self.frame is None or not len(self.frame):
            reason = inline(self.missing_reason or "no rows")
            return f'<p id="{self.table_id}" class="missing">Table not available: {reason}</p>'
        header = "".join(f'<th class="text">{html.escape(str(c))}</th>' for c in self.frame.columns)
        rows = []
        for values in self.frame.itertuples(index=False):
            cells = []
            for value in values:
                missing = value is None or (isinstance(value, float) and value != value)
                text = "" if missing else value
                css = "" if _is_number(text) else ' class="text"'
                cells.append(f"<td{css}>{inline(str(text))}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        return (
            f'<table id="{self.table_id}"><caption>{inline(self.caption)}</caption>'
            f"<thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )


def _is_number(text: object) -> bool:
    return bool(re.fullmatch(r"[-+$]?[\d,.]+%?[kM]?", str(text)))


@dataclass
class Section:
    """A titled part of a report: bullets of text, then figures and tables."""

    section_id: str
    title: str
    bullets: list[str] = field(default_factory=list)
    blocks: list[FigureBlock | TableBlock] = field(default_factory=list)

    def html(self) -> str:
        parts = [f'<section id="{self.section_id}"><h2>{inline(self.title)}</h2>']
        if self.bullets:
            parts.append("<ul>" + "".join(f"<li>{inline(b)}</li>" for b in self.bullets) + "</ul>")
        parts += [block.html() for block in self.blocks]
        parts.append("</section>")
        return "\n".join(parts)


def page(title: str, subtitle: str, sections: list[Section]) -> str:
    """The whole HTML document."""
    contents = "".join(
        f'<li><a href="#{s.section_id}">{inline(s.title)}</a></li>' for s in sections
    )
    body = "\n".join(section.html() for section in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f'<header><h1>{inline(title)}</h1><p class="meta">{inline(subtitle)}</p></header>\n'
        f"<nav><ol>{contents}</ol></nav>\n{body}\n</body>\n</html>\n"
    )
