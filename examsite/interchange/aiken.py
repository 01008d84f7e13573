"""Aiken (https://docs.moodle.org/en/Aiken_format): a question, lettered options, `ANSWER: X`.

Small enough that a library would add more than it saves; the format has one answer per question.
"""

from __future__ import annotations

import re

from examsite.interchange.model import ParsedItem, ParseResult, option_ids
from examsite.interchange.text import plain_to_markdown

_OPTION = re.compile(r"^([A-Z])[.)]\s+(.*\S)\s*$")
_ANSWER = re.compile(r"^ANSWER:\s*(.*?)\s*$", re.I)


def parse_aiken(source: str, file: str) -> ParseResult:
    result = ParseResult()
    question: list[str] = []
    options: list[tuple[str, str]] = []
    start = 0
    for number, raw in enumerate(source.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line:
            if options:  # a blank line inside options ends nothing in Moodle; keep reading
                continue
            if question and not options:
                question.append("")
            continue
        answer = _ANSWER.match(line)
        option = _OPTION.match(line)
        if answer:
            if not question:
                result.error(file, number, "ANSWER: without a question before it")
            else:
                _finish(result, file, start, question, options, answer.group(1), number)
            question, options = [], []
        elif option and question:
            letters = [letter for letter, _ in options]
            if option.group(1) in letters:
                result.error(file, number, f"option {option.group(1)} appears twice")
            options.append((option.group(1), option.group(2)))
        elif options:
            result.error(file, start, f"question has no ANSWER: line before the next text (line {number})")
            question, options, start = [line], [], number
        else:
            if not question:
                start = number
            question.append(line)
    if question:
        result.error(file, start, "question has no ANSWER: line")
    return result


def _finish(result, file, start, question, options, answer, line) -> None:
    letters = [letter for letter, _ in options]
    if len(options) < 2:
        result.error(file, start, f"a question needs at least 2 options, not {len(options)}")
        return
    if len(options) > 6:
        result.error(file, start, f"examsite items have at most 6 options, not {len(options)}")
        return
    if letters != [chr(ord("A") + i) for i in range(len(letters))]:
        result.error(file, start, f"options must be lettered A, B, C... in order, not {', '.join(letters)}")
        return
    if answer.upper() not in letters:
        result.error(file, line, f"ANSWER: {answer} is not one of the options {', '.join(letters)}")
        return
    ids = option_ids(len(options))
    stem = plain_to_markdown("\n".join(question).strip())
    result.items.append(
        ParsedItem(
            file=file,
            line=start,
            type="single",
            stem=stem,
            options=[(oid, plain_to_markdown(text)) for oid, (_, text) in zip(ids, options, strict=True)],
            keys=[ids[letters.index(answer.upper())]],
        )
    )
