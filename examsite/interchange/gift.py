"""Moodle GIFT: https://docs.moodle.org/en/GIFT_format, every construct the documentation describes.

Written here because no maintained Python GIFT parser exists on PyPI (see question_banks/README.md).
Escapes are swapped for private-use placeholders first, so the structural characters left
(`{ } = ~ # :: %`) can be split on plainly, and restored after; a line map keeps every problem at
its `file:line`.
"""

from __future__ import annotations

import re

from examsite.interchange.model import ParsedItem, ParseResult, Skipped, option_ids
from examsite.interchange.text import html_to_markdown, looks_like_html, plain_to_markdown

_ESCAPES = "~=#{}:\\"
_BASE = 0xE000
_NEWLINE = chr(_BASE + len(_ESCAPES))
_FORMAT = re.compile(r"^\s*\[(markdown|html|plain|moodle)\]", re.I)
_WEIGHT = re.compile(r"^\s*%(-?\d+(?:\.\d+)?)%")
_TRUE_FALSE = re.compile(r"^(T|F|TRUE|FALSE)\s*(#.*)?$", re.S | re.I)
_META = re.compile(r"^//\s*examsite:\s*(.*)$")
MAX_OPTIONS = 6


def _protect(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            following = text[i + 1]
            if following in _ESCAPES:
                out.append(chr(_BASE + _ESCAPES.index(following)))
                i += 2
                continue
            if following == "n":
                out.append(_NEWLINE)
                i += 2
                continue
        out.append(char)
        i += 1
    return "".join(out)


def _restore(text: str) -> str:
    text = text.replace(_NEWLINE, "\n")
    for index, char in enumerate(_ESCAPES):
        text = text.replace(chr(_BASE + index), char)
    return text


def _convert(text: str, fmt: str) -> str:
    text = _restore(text).strip()
    if fmt == "markdown":
        return text
    if fmt == "html" or (fmt == "moodle" and looks_like_html(text)):
        return html_to_markdown(text)
    return plain_to_markdown(text)


def _blocks(source: str) -> list[tuple[list[int], list[str], list[str]]]:
    """Questions split on blank lines, as Moodle does: (line numbers, lines, comments)."""
    blocks, numbers, lines, comments = [], [], [], []
    for number, raw in enumerate(source.splitlines(), start=1):
        line = _protect(raw)
        stripped = line.strip()
        if stripped.startswith("//"):
            comments.append(stripped)
            continue
        if not stripped:
            if lines:
                blocks.append((numbers, lines, comments))
                numbers, lines, comments = [], [], []
            continue
        numbers.append(number)
        lines.append(line)
    if lines:
        blocks.append((numbers, lines, comments))
    return blocks


def _metadata(comments: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for comment in comments:
        match = _META.match(_restore(comment))
        if match:
            for pair in match.group(1).split():
                name, _, value = pair.partition("=")
                found[name] = value
    return found


def parse_gift(source: str, file: str) -> ParseResult:
    result = ParseResult()
    category = ""
    for numbers, lines, comments in _blocks(source.lstrip("\ufeff")):
        if lines[0].strip().startswith("$CATEGORY:"):
            category = _restore(lines[0].split(":", 1)[1]).strip()
            numbers, lines = numbers[1:], lines[1:]
            if not lines:
                continue
        text = "\n".join(lines)
        _parse_question(text, numbers, category, _metadata(comments), file, result)
    return result


def _parse_question(
    text: str, numbers: list[int], category: str, meta: dict[str, str], file: str, result: ParseResult
) -> None:
    def line_at(position: int) -> int:
        return numbers[min(text.count("\n", 0, position), len(numbers) - 1)]

    first = numbers[0]
    body, title = text.strip(), ""
    text_offset = len(text) - len(text.lstrip())
    if body.startswith("::"):
        end = body.find("::", 2)
        if end < 0:
            result.error(file, first, "question title opened with :: is not closed with ::")
            return
        title, body = _restore(body[2:end]).strip(), body[end + 2 :]
        text_offset += end + 2
    opening = body.find("{")
    if opening < 0:
        result.skipped.append(
            Skipped(file, first, "description", "no answers: a description, not a question")
        )
        return
    closing = body.find("}", opening)
    if closing < 0:
        result.error(file, line_at(text_offset + opening), "answer block opened with { is not closed with }")
        return
    if "{" in body[closing:]:
        result.error(file, line_at(text_offset + closing), "more than one answer block in one question")
        return
    before, answers, after = body[:opening], body[opening + 1 : closing], body[closing + 1 :].strip()
    fmt_match = _FORMAT.match(before)
    fmt = fmt_match.group(1).lower() if fmt_match else "moodle"
    if fmt_match:
        before = before[fmt_match.end() :]
    stem_source = f"{before.strip()} _____ {after}" if after else before
    stem = _convert(stem_source, fmt)
    answers_line = line_at(text_offset + opening)
    kind = _unsupported_kind(answers)
    if kind:
        result.skipped.append(Skipped(file, first, kind[0], kind[1]))
        return
    if not stem:
        result.error(file, first, "the question has no text")
        return
    answers, _, general = answers.partition("####")
    tokens = [(m.start(), m.group(1), m.group(2)) for m in re.finditer(r"([=~])([^=~]*)", answers)]
    if answers[: tokens[0][0] if tokens else len(answers)].strip():
        result.error(file, answers_line, "text before the first answer: answers start with = or ~")
        return
    options, weights, feedback = [], [], []
    for position, marker, raw in tokens:
        weight_match = _WEIGHT.match(raw)
        weight = float(weight_match.group(1)) if weight_match else (100.0 if marker == "=" else 0.0)
        if weight_match:
            raw = raw[weight_match.end() :]
            if not -100 <= weight <= 100:
                result.error(
                    file,
                    line_at(text_offset + opening + 1 + position),
                    f"weight {weight:g}% is outside -100..100",
                )
                return
        answer, _, note = raw.partition("#")
        option_text = _convert(answer, fmt)
        if not option_text:
            result.error(file, line_at(text_offset + opening + 1 + position), "an answer has no text")
            return
        options.append(option_text)
        weights.append(weight)
        feedback.append(_convert(note, fmt))
    if len(options) < 2:
        result.error(
            file, answers_line, f"a multiple-choice question needs at least 2 answers, not {len(options)}"
        )
        return
    if len(options) > MAX_OPTIONS:
        result.error(
            file, answers_line, f"examsite items have at most {MAX_OPTIONS} options, not {len(options)}"
        )
        return
    ids = option_ids(len(options))
    item = ParsedItem(
        file=file,
        line=first,
        type="single",
        stem=stem,
        options=list(zip(ids, options, strict=True)),
        keys=[],
        title=title,
        category=category,
        domain=meta.get("domain") or None,
        level=meta.get("level") or None,
        status="pretest" if meta.get("status") == "pretest" else None,
        tags=[t for t in meta.get("tags", "").split(",") if t],
    )
    problem = _choose_keys(item, weights)
    if problem:
        result.error(file, answers_line, problem)
        return
    item.rationale = _convert(general, fmt)
    per_answer = [(i, f) for i, f in zip(ids, feedback, strict=True) if f]
    if per_answer and not item.rationale:
        item.rationale = "\n\n".join(f"{oid.upper()}: {f}" for oid, f in per_answer)
        item.notes.append("per-answer feedback joined into the rationale (examsite shows one rationale)")
    elif per_answer:
        item.notes.append("per-answer feedback dropped: the general feedback (####) is the rationale")
    result.items.append(item)


def _unsupported_kind(answers: str) -> tuple[str, str] | None:
    stripped = answers.strip()
    if not stripped:
        return "essay", "examsite scores choices only; an essay needs a human marker"
    if stripped.startswith("#"):
        return "numerical", "examsite scores choices only, not numbers"
    if _TRUE_FALSE.match(stripped):
        return "true/false", "examsite items offer 4 or more options; rewrite it as a multiple-choice item"
    if "->" in stripped:
        return "matching", "examsite has no matching questions"
    if "~" not in stripped.partition("####")[0]:
        return "short answer", "examsite scores choices only, not typed answers"
    return None


def _choose_keys(item: ParsedItem, weights: list[float]) -> str | None:
    """Keys from GIFT's answer marks and weights; examsite scores all-or-nothing, the notes say so."""
    ids = [oid for oid, _ in item.options]
    full = [oid for oid, w in zip(ids, weights, strict=True) if w >= 100]
    positive = [oid for oid, w in zip(ids, weights, strict=True) if w > 0]
    shown = "/".join(f"{w:g}" for w in weights)
    if not positive:
        return "no answer is marked right (= or a positive %weight%)"
    if len(full) > 1:
        return (
            f"options {', '.join(full)} each give full credit: examsite needs one key per single item, "
            "or weights that add up to 100 for a multiple-response item"
        )
    if len(full) == 1:
        item.keys = full
        if len(positive) > 1:
            partial = ", ".join(o for o in positive if o not in full)
            item.notes.append(
                f"partial credit for {partial} dropped (weights {shown}): examsite scores all-or-nothing"
            )
        return None
    if len(positive) == 1:
        item.keys = positive
        item.notes.append(f"the only credited answer ({weights[ids.index(positive[0])]:g}%) becomes the key")
        return None
    item.type, item.keys = "multiple", positive
    total = sum(w for w in weights if w > 0)
    keys = ", ".join(positive)
    note = f"weights {shown} become all-or-nothing: keys {keys} (the options with positive weight)"
    if abs(total - 100) > 1:
        note += f"; their weights add up to {total:g}%, not 100%: check the keys"
    item.notes.append(note)
    return None
