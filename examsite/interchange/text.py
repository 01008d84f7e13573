"""Source text to the Markdown examsite stores: HTML and plain text converted, nothing executable kept."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Markdown's special characters; an underscore inside a word (patient_id) is never emphasis
_MD_SPECIAL = re.compile(r"([\\`*\[\]]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_BLOCKS = {"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table"}
_INLINE = {"b": "**", "strong": "**", "i": "*", "em": "*", "code": "`"}
_DROP = {"script", "style", "head", "title"}


def plain_to_markdown(text: str) -> str:
    """Plain text shown literally: Markdown's special characters escaped, paragraphs kept."""
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    return re.sub(r"^(\s*)([#>+-]|\d+\.)(\s)", r"\1\\\2\3", escaped, flags=re.M).strip()


class _ToMarkdown(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.dropping = 0
        self.in_code = 0

    def handle_starttag(self, tag, attrs):
        if tag in _DROP:
            self.dropping += 1
        elif tag == "br":
            self.out.append("  \n")
        elif tag in _INLINE:
            self.out.append(_INLINE[tag])
            self.in_code += tag == "code"
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in ("sub", "sup"):
            pass
        elif tag in _BLOCKS:
            self.out.append("\n\n")

    def handle_endtag(self, tag):
        if tag in _DROP:
            self.dropping = max(0, self.dropping - 1)
        elif tag in _INLINE:
            self.out.append(_INLINE[tag])
            self.in_code -= tag == "code"
        elif tag in _BLOCKS and tag != "li":
            self.out.append("\n\n")

    def handle_data(self, data):
        if not self.dropping:
            text = re.sub(r"\s+", " ", data)
            self.out.append(text if self.in_code else _MD_SPECIAL.sub(r"\\\1", text))


def html_to_markdown(html: str) -> str:
    """HTML (GIFT [html], QTI XHTML) to Markdown: emphasis, paragraphs, lists; tags and scripts dropped."""
    parser = _ToMarkdown()
    parser.feed(html)
    parser.close()
    text = "".join(parser.out)
    lines = [line.strip() if not line.endswith("  ") else line.lstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def looks_like_html(text: str) -> bool:
    return bool(re.search(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^>]*)?/?>", text))
