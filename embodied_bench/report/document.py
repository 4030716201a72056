"""One report, two renderings: a list of blocks rendered as Markdown (figures linked as
files) and as an HTML page with no network use (figures embedded as data URIs, or linked
as files next to the page for a multi-page site)."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from typing import Sequence, Union


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Para:
    text: str
    markup: bool = False
    """Render `backticks` as code; off for text that may hold names users chose."""


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Link:
    """A link: a table cell or an item of ``LinkList``."""

    text: str
    href: str
    """Relative to the page (or an http(s) address)."""


Cell = Union[str, Link]


@dataclass(frozen=True)
class LinkList:
    items: tuple[Link, ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Image:
    path: str
    """Path of the PNG relative to the report folder (Markdown links to it)."""
    alt: str
    png: bytes
    """The PNG itself (HTML embeds it)."""


@dataclass(frozen=True)
class Clip:
    """A video clip with its poster frame and caption."""

    path: str
    """Path of the MP4 relative to the page (Markdown and the site link to it)."""
    poster_path: str
    """Path of the poster PNG relative to the page."""
    caption: str
    mp4: bytes
    """The clip itself (a self-contained page embeds it)."""
    poster: bytes
    gif_path: str = ""
    """A small animated GIF of the clip, relative to the page: what Markdown shows (it has
    no video element); empty: the poster."""


@dataclass(frozen=True)
class Clips:
    """Clips side by side (one row of a page)."""

    items: tuple[Clip, ...]


Block = Union[Heading, Para, Bullets, LinkList, Table, Image, Clips]


def _md_link(link: Link) -> str:
    text = _md_plain(link.text).replace("[", "\\[").replace("]", "\\]")
    return f"[{text}](<{link.href}>)"


def _md_cell(cell: Cell) -> str:
    text = _md_link(cell) if isinstance(cell, Link) else _md_plain(cell)
    return text.replace("|", "\\|").replace("\n", " ")


def _md_plain(text: str) -> str:
    # Names users chose must not open a code span.
    return text.replace("`", "\\`")


def to_markdown(blocks: Sequence[Block]) -> str:
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            out.append("#" * b.level + " " + b.text)
        elif isinstance(b, Para):
            out.append(b.text if b.markup else _md_plain(b.text))
        elif isinstance(b, Bullets):
            out.append("\n".join(f"- {_md_plain(item)}" for item in b.items))
        elif isinstance(b, LinkList):
            out.append("\n".join(f"- {_md_link(item)}" for item in b.items))
        elif isinstance(b, Table):
            lines = ["| " + " | ".join(_md_cell(h) for h in b.headers) + " |", "|" + "---|" * len(b.headers)]
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in b.rows]
            out.append("\n".join(lines))
        elif isinstance(b, Image):
            out.append(f"![{b.alt}]({b.path})")
        elif isinstance(b, Clips):
            # A poster that links to its clip: Markdown has no video element.
            out.append(" ".join(f"[![{_md_plain(c.caption)}](<{c.gif_path or c.poster_path}>)](<{c.path}>)" for c in b.items))
            out.append("\n".join(f"- [{_md_plain(c.caption)}](<{c.path}>)" for c in b.items))
        else:  # pragma: no cover - every block type is handled above
            raise TypeError(f"unknown block {b!r}")
    return "\n\n".join(out) + "\n"


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1200px; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; line-height: 1.45; }
h1, h2, h3 { line-height: 1.2; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.55rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
tr:nth-child(even) td { background: #fafafa; }
img { max-width: 100%; height: auto; display: block; margin: 0.8rem 0; }
.clips { display: flex; flex-wrap: wrap; gap: 0.8rem; margin: 0.8rem 0; }
.clips figure { margin: 0; width: 320px; }
.clips video, .clips figure > img { width: 320px; height: auto; display: block; margin: 0; background: #000; }
.clips figcaption { font-size: 0.85rem; }
code { background: #f2f2f2; padding: 0 0.2rem; }
"""


def _html_cell(cell: Cell) -> str:
    if isinstance(cell, Link):
        return f'<a href="{html.escape(cell.href, quote=True)}">{html.escape(cell.text)}</a>'
    return html.escape(cell)


def to_html(blocks: Sequence[Block], title: str, embed_images: bool = True, comment: str | None = None) -> str:
    """The page; ``embed_images=False`` links each figure by its ``path`` instead of
    embedding it. ``comment`` goes into an HTML comment at the top."""
    body: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            body.append(f"<h{b.level}>{html.escape(b.text)}</h{b.level}>")
        elif isinstance(b, Para):
            body.append(f"<p>{_inline(b.text) if b.markup else html.escape(b.text)}</p>")
        elif isinstance(b, Bullets):
            body.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in b.items) + "</ul>")
        elif isinstance(b, LinkList):
            body.append("<ul>" + "".join(f"<li>{_html_cell(i)}</li>" for i in b.items) + "</ul>")
        elif isinstance(b, Table):
            head = "".join(f"<th>{html.escape(h)}</th>" for h in b.headers)
            rows = "".join("<tr>" + "".join(f"<td>{_html_cell(c)}</td>" for c in row) + "</tr>" for row in b.rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif isinstance(b, Image):
            src = f"data:image/png;base64,{base64.b64encode(b.png).decode('ascii')}" if embed_images else b.path
            body.append(f'<img src="{html.escape(src, quote=True)}" alt="{html.escape(b.alt, quote=True)}">')
        elif isinstance(b, Clips):
            figs = []
            for c in b.items:
                src = f"data:video/mp4;base64,{base64.b64encode(c.mp4).decode('ascii')}" if embed_images else c.path
                poster = f"data:image/png;base64,{base64.b64encode(c.poster).decode('ascii')}" if embed_images else c.poster_path
                figs.append(
                    f'<figure><video controls muted loop playsinline preload="auto" poster="{html.escape(poster, quote=True)}" src="{html.escape(src, quote=True)}" title="{html.escape(c.caption, quote=True)}"></video>'
                    f"<figcaption>{html.escape(c.caption)}</figcaption></figure>"
                )
            body.append('<div class="clips">' + "".join(figs) + "</div>")
        else:  # pragma: no cover
            raise TypeError(f"unknown block {b!r}")
    note = f"<!-- {html.escape(comment)} -->\n" if comment else ""
    return (
        "<!DOCTYPE html>\n" + note + "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _inline(text: str) -> str:
    # Markdown's `code` spans are the only inline markup the report's prose uses.
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))
