"""Item-writing and consistency rules over a loaded bank tree (see question_banks/README.md)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from examsite.banks.cueing import Comparable, find_cues
from examsite.banks.loader import (
    BANK_PREFIX,
    CATEGORY_ROLES,
    CORE,
    BankTree,
    ItemSpec,
    Problem,
)
from examsite.catalog.data import ROLE_SLUGS
from examsite.delivery.assembly import can_fill

_ABOVE = re.compile(r"\b(all|none)\s+of\s+the\s+(above|following)\b", re.I)
_NEGATIVE = re.compile(r"\b(not|except|least)\b", re.I)
_HOW_MANY = re.compile(
    r"\b(?:choose|select|pick|mark|identify)\s+(two|three|2|3)\b|\bwhich\s+(two|three)\b", re.I
)
_COUNT_WORDS = {"two": 2, "three": 3, "2": 2, "3": 3}


def normalize_stem(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _question_sentence(stem: str) -> str:
    parts = [p for p in re.split(r"(?<=[.?!:])\s+|\n\s*\n", stem.strip()) if p.strip()]
    return parts[-1] if parts else stem


def lint_tree(tree: BankTree) -> list[Problem]:
    """All problems: those found while loading, then item, bank and blueprint rules."""
    seen_ids: dict[str, ItemSpec] = {}
    seen_stems: dict[str, ItemSpec] = {}
    for item in tree.items:
        _check_item(tree, item)
        other = seen_ids.get(item.external_id)
        if other:
            tree.error(
                item.file, item.line, f"duplicate item id {item.external_id} (also {other.file}:{other.line})"
            )
        seen_ids.setdefault(item.external_id, item)
        if item.status != "retired":
            key = normalize_stem(item.stem if not item.scenario_text else item.stem)
            twin = seen_stems.get(key)
            if twin and twin.scenario_id == item.scenario_id:
                tree.error(
                    item.file,
                    item.line_of("stem"),
                    f"same stem as {twin.external_id} ({twin.file}:{twin.line})",
                )
            elif twin is None:
                seen_stems[key] = item
    _check_scenarios(tree)
    _check_writing_patterns(tree)
    _check_cueing(tree)
    _check_blueprints(tree)
    return sorted(tree.problems, key=lambda p: (p.file, p.line, p.message))


def _check_item(tree: BankTree, item: ItemSpec) -> None:
    err = lambda key, msg: tree.error(item.file, item.line_of(key), f"{item.external_id}: {msg}")  # noqa: E731
    prefix = BANK_PREFIX.get(item.bank)
    if prefix and not item.external_id.startswith(prefix + "-"):
        err("id", f"ids in the {item.bank} bank start with {prefix}-")
    option_ids = [o for o, _ in item.options]
    if item.type == "single":
        if len(item.options) != 4:
            err("options", f"a single item needs exactly 4 options, not {len(item.options)}")
        if len(item.keys) != 1:
            err("key", f"a single item needs exactly one key, not {len(item.keys)}")
    else:
        if not 4 <= len(item.options) <= 6:
            err("options", f"a multiple item needs 4 to 6 options, not {len(item.options)}")
        if not 2 <= len(item.keys) <= 3:
            err("key", f"a multiple item needs 2 or 3 keys, not {len(item.keys)}")
        match = _HOW_MANY.search(item.stem)
        if not match:
            err("stem", "a multiple item's stem must say how many to choose (e.g. 'Choose two.')")
        else:
            said = _COUNT_WORDS[(match.group(1) or match.group(2)).lower()]
            if said != len(item.keys):
                err("stem", f"the stem says choose {said} but the item has {len(item.keys)} keys")
    for key in item.keys:
        if key not in option_ids:
            err("key", f"key {key!r} is not one of the options {', '.join(option_ids)}")
    expected = [chr(ord("a") + i) for i in range(len(option_ids))]
    if option_ids != expected:
        err("options", f"options must be lettered {', '.join(expected)} in order")
    texts = Counter(normalize_stem(text) for _, text in item.options)
    for text, count in texts.items():
        if count > 1:
            err("options", f"duplicate option text {text!r}")
    for oid, text in item.options:
        if _ABOVE.search(text):
            err("options", f"option {oid}: do not use 'all/none of the above'")
    if _ABOVE.search(item.stem):
        err("stem", "do not use 'all/none of the above'")
    for match in _NEGATIVE.finditer(_question_sentence(item.stem)):
        word = match.group(1)
        if word != word.upper():
            err("stem", f"negative stem: write {word.upper()} in capitals")
    if not item.rationale.strip():
        err("rationale", "a rationale is required")
    domain = tree.domains.get(item.domain)
    if domain is None:
        err("domain", f"unknown domain {item.domain!r}")
    else:
        if domain.bank != item.bank:
            err("domain", f"domain {item.domain!r} belongs to the {domain.bank} bank, not {item.bank}")
        for component in item.components:
            if component not in domain.components:
                err(
                    "components",
                    f"component {component} is not one of domain {item.domain}'s "
                    f"components {domain.components}",
                )
    allowed_roles = ROLE_SLUGS if item.bank == CORE else CATEGORY_ROLES.get(item.bank, [])
    for role in item.roles:
        if role not in ROLE_SLUGS:
            err("roles", f"unknown role {role!r}")
        elif role not in allowed_roles:
            err("roles", f"role {role!r} is not in the {item.bank} category")


def _check_scenarios(tree: BankTree) -> None:
    sets: dict[str, list[ItemSpec]] = defaultdict(list)
    for item in tree.items:
        if item.scenario_id:
            sets[item.scenario_id].append(item)
    files: dict[str, str] = {}
    for scenario_id, items in sets.items():
        first = items[0]
        if len({i.file for i in items}) > 1 or files.get(scenario_id, first.file) != first.file:
            tree.error(first.file, first.line, f"scenario {scenario_id} is defined more than once")
        files[scenario_id] = first.file
        if len({i.domain for i in items}) > 1:
            tree.error(
                first.file, first.line, f"scenario {scenario_id}: all items of a set must share one domain"
            )
        if len({i.status for i in items}) > 1:
            tree.error(
                first.file, first.line, f"scenario {scenario_id}: all items of a set must share one status"
            )
        if len({tuple(sorted(i.roles)) for i in items}) > 1:
            tree.error(
                first.file,
                first.line,
                f"scenario {scenario_id}: all items of a set must serve the same roles",
            )


def _check_writing_patterns(tree: BankTree) -> None:
    by_bank: dict[str, list[ItemSpec]] = defaultdict(list)
    by_file: dict[str, list[ItemSpec]] = defaultdict(list)
    for item in tree.items:
        if item.status in ("active", "pretest"):
            by_bank[item.bank].append(item)
            if item.type == "single":
                by_file[item.file].append(item)
    for bank, items in by_bank.items():
        singles = [i for i in items if i.type == "single" and len(i.keys) == 1]
        longest = sum(1 for i in singles if _key_uniquely_longest(i))
        if singles and longest / len(singles) > 0.40:
            tree.warn(
                singles[0].file,
                1,
                f"bank {bank}: the key is the uniquely longest option in "
                f"{longest} of {len(singles)} items ({longest / len(singles):.0%}); over 40% "
                "lets test-wise candidates guess",
            )
    for file, items in by_file.items():
        if len(items) < 8:
            continue
        positions = Counter(i.keys[0] for i in items if len(i.keys) == 1)
        for letter in "abcd":
            share = positions.get(letter, 0) / len(items)
            if share < 0.15 or share > 0.35:
                tree.warn(
                    file, 1, f"key position {letter} is used by {share:.0%} of single items (aim for 15-35%)"
                )


def _check_cueing(tree: BankTree) -> None:
    """Warn on items of one role's pool that cue each other (see examsite/banks/cueing.py)."""
    serving = {i.external_id: i for i in tree.items if i.status in ("active", "pretest")}
    comparable = [
        Comparable(
            id=i.external_id,
            pools=frozenset(i.roles),
            stem=i.stem,
            keys=tuple(text for oid, text in i.options if oid in i.keys),
            scenario=i.scenario_id,
        )
        for i in serving.values()
    ]
    for cue in find_cues(comparable):
        item = serving[cue.first]
        tree.warn(item.file, item.line_of("stem"), f"{cue.first}: {cue.message()}")


def _key_uniquely_longest(item: ItemSpec) -> bool:
    lengths = {oid: len(text) for oid, text in item.options}
    key_len = lengths.get(item.keys[0], 0)
    return all(key_len > n for oid, n in lengths.items() if oid != item.keys[0])


def eligible_units(tree: BankTree, role: str, status: str) -> dict[str, list[int]]:
    """Unit sizes per domain among items of `status` that serve `role` (files, not database)."""
    bank = next((b for b, roles in CATEGORY_ROLES.items() if role in roles), None)
    sizes: dict[str, Counter] = defaultdict(Counter)
    for item in tree.items:
        if item.status != status or role not in item.roles or item.bank not in (CORE, bank):
            continue
        sizes[item.domain][item.scenario_id or item.external_id] += 1
    return {d: list(c.values()) for d, c in sizes.items()}


def _check_blueprints(tree: BankTree) -> None:
    max_draw: dict[str, int] = defaultdict(int)
    for role, bp in tree.blueprints.items():
        line = bp.lines.line_of
        total = sum(n for _, n in bp.domains)
        if total != bp.form_items:
            tree.error(
                bp.file, line("domains"), f"domain counts sum to {total}, not form_items {bp.form_items}"
            )
        units = eligible_units(tree, role, "active")
        for code, need in bp.domains:
            domain = tree.domains.get(code)
            if domain is None:
                tree.error(bp.file, bp.lines["domains"].line_of(code), f"unknown domain {code!r}")
                continue
            if domain.bank not in (CORE, bp.bank):
                tree.error(
                    bp.file,
                    bp.lines["domains"].line_of(code),
                    f"domain {code!r} is not in the core or {bp.bank} bank",
                )
                continue
            max_draw[code] = max(max_draw[code], need)
            sizes = units.get(code, [])
            if not can_fill(sizes, need):
                tree.error(
                    bp.file,
                    bp.lines["domains"].line_of(code),
                    f"{role}: domain {code} needs {need} active items but its eligible "
                    f"pool has {sum(sizes)} that can fill it",
                )
        pretest = sum(sum(s) for s in eligible_units(tree, role, "pretest").values())
        if pretest < bp.pretest_items:
            tree.warn(
                bp.file,
                line("pretest_items"),
                f"{role}: {bp.pretest_items} pretest items asked for, {pretest} eligible",
            )
    pools: Counter = Counter()
    for item in tree.items:
        if item.status == "active":
            pools[item.domain] += 1
    for code, draw in max_draw.items():
        if pools[code] < 2 * draw and code in tree.domains:
            domain = tree.domains[code]
            tree.warn(
                domain.file,
                domain.line,
                f"domain {code}: pool of {pools[code]} active items is under twice the largest draw ({draw})",
            )
    if tree.banks and set(tree.banks) >= {CORE, *CATEGORY_ROLES}:
        for role in ROLE_SLUGS:
            if role not in tree.blueprints:
                tree.warn(display_root(tree), 1, f"role {role} has no blueprint")


def display_root(tree: BankTree) -> str:
    from examsite.banks.loader import display_path

    return display_path(tree.root)
