"""Self-contained HTML reports: plots embedded as data URIs, no script, no network.

One page per ``fit``, ``compare``, ``backtest`` and ``explore``: what the data was, how the
run was configured, the metrics beside the baselines with the plain-words verdict, and the
plots.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable
from pathlib import Path
from typing import Any

STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px;
       color: #222; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2rem; font-size: 1.2rem;
  border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
.sub { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: .6rem 0; font-size: 14px; }
th, td { border: 1px solid #ddd; padding: .25rem .6rem; text-align: right; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
tr.model td { font-weight: 600; } tr.best td { background: #eef7ee; }
.verdict { background: #f7f7fb; border-left: 4px solid #6b6bd6; padding: .5rem 1rem; }
img { max-width: 100%; border: 1px solid #eee; margin: .5rem 0; }
code { background: #f4f4f4; padding: 0 .25rem; }
"""


def page(title: str, subtitle: str, sections: Iterable[str]) -> str:
    """A whole HTML document."""
    body = "\n".join(sections)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{_e(title)}</h1><p class='sub'>{_e(subtitle)}</p>{body}</body></html>\n"
    )


def section(heading: str, *parts: str) -> str:
    return f"<h2>{_e(heading)}</h2>" + "".join(parts)


def paragraphs(lines: Iterable[str], css: str = "") -> str:
    klass = f" class='{css}'" if css else ""
    return f"<div{klass}>" + "".join(f"<p>{_e(line)}</p>" for line in lines) + "</div>"


def key_values(pairs: Iterable[tuple[str, Any]]) -> str:
    rows = "".join(f"<tr><td>{_e(k)}</td><td>{_e(_text(v))}</td></tr>" for k, v in pairs)
    return f"<table>{rows}</table>"


def table(head: list[str], rows: Iterable[tuple[list[Any], str]]) -> str:
    """Rows are (cells, css class)."""
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join(
        f"<tr class='{css}'>" + "".join(f"<td>{_e(_text(c))}</td>" for c in cells) + "</tr>"
        for cells, css in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def image(path: Path, alt: str) -> str:
    """The PNG at ``path`` embedded in the page."""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f"<img alt='{_e(alt)}' src='data:image/png;base64,{data}'>"


def _text(value: Any) -> str:
    if isinstance(value, float):
        if value != value:
            return "-"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    if value is None:
        return "-"
    return str(value)


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)
