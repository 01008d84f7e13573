"""The item-analysis page's rows: the stored figures beside each item's text and options.

Pure: the analysis (as stored) and the item versions in, rows out; filtering, sorting and the
flags' CSV rows here so the template and the views compute nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from examsite.instructors.analysis import FLAG_CODES

FLAG_FILTERS = {
    "": "All items",
    "any": "Any flag",
    **{c: c.replace("_", " ").capitalize() for c in FLAG_CODES},
}
SORTS = {
    "external_id": "Item id",
    "flags": "Most flags first",
    "facility": "Facility, lowest first",
    "discrimination": "Discrimination, lowest first",
    "responses": "Responses, most first",
}
FLAG_COLUMNS = [
    ("external_id", "external_id"),
    ("item_version_id", "item_version_id"),
    ("scored", "scored"),
    ("responses", "responses"),
    ("facility", "facility"),
    ("discrimination", "discrimination"),
    ("code", "code"),
    ("reason", "reason"),
    ("stem", "stem"),
]


@dataclass(frozen=True)
class VersionText:
    item_id: int
    stem: str
    options: dict[str, str]


def item_rows(items: Iterable[Mapping], texts: Mapping[int, VersionText]) -> list[dict]:
    rows = []
    for item in items:
        text = texts.get(item["item_version_id"])
        rows.append(
            {
                **item,
                "item_id": text.item_id if text else None,
                "stem": text.stem if text else "",
                "options": [
                    {**o, "text": text.options.get(o["id"], "") if text else ""} for o in item["options"]
                ],
            }
        )
    return rows


def _missing_last(value, descending: bool = False):
    if value is None:
        return (1, 0)
    return (0, -value if descending else value)


SORT_KEYS = {
    "external_id": lambda r: (r["external_id"], r["item_version_id"]),
    "flags": lambda r: (-len(r["flags"]), r["external_id"]),
    "facility": lambda r: (_missing_last(r["facility"]), r["external_id"]),
    "discrimination": lambda r: (_missing_last(r["discrimination"]), r["external_id"]),
    "responses": lambda r: (-r["responses"], r["external_id"]),
}


def select_rows(rows: list[dict], flag: str = "", sort: str = "external_id") -> list[dict]:
    """Rows with the flag asked for ("" all, "any" any flag, or a code), in the order asked for."""
    if flag == "any":
        rows = [r for r in rows if r["flags"]]
    elif flag:
        rows = [r for r in rows if any(f["code"] == flag for f in r["flags"])]
    return sorted(rows, key=SORT_KEYS.get(sort, SORT_KEYS["external_id"]))


def flag_rows(rows: Iterable[Mapping]) -> list[dict]:
    """One CSV row per flag of each item."""
    return [
        {**{k: row.get(k) for k, _ in FLAG_COLUMNS}, "code": f["code"], "reason": f["reason"]}
        for row in rows
        for f in row["flags"]
    ]
