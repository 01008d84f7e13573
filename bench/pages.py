"""What the benchmark's trainees read from the pages, as a browser does: the CSRF tokens.

Pure functions, unit-tested (tests/unit/test_bench_rounds.py); used by the locustfile and by
bench.save_cost.
"""

from __future__ import annotations

import html
import re

_HIDDEN_CSRF = re.compile(r'<input\b[^>]*\bname="csrf_token"[^>]*>')
_VALUE = re.compile(r'\bvalue="([^"]*)"')
_META_CSRF = re.compile(r'<meta\b[^>]*\bname="csrf-token"[^>]*>')
_CONTENT = re.compile(r'\bcontent="([^"]*)"')


def form_csrf(page: str) -> str | None:
    """The CSRF token of a page's form (its hidden `csrf_token` input), or None."""
    tag = _HIDDEN_CSRF.search(page)
    value = _VALUE.search(tag.group(0)) if tag else None
    return html.unescape(value.group(1)) if value and value.group(1) else None


def meta_csrf(page: str) -> str | None:
    """The CSRF token a page carries for its scripts (`<meta name="csrf-token">`), or None."""
    tag = _META_CSRF.search(page)
    content = _CONTENT.search(tag.group(0)) if tag else None
    return html.unescape(content.group(1)) if content and content.group(1) else None
