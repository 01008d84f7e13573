"""After the load: is every acknowledged save in the database with its last acknowledged value?"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text


@dataclass
class Verification:
    acknowledged_saves: int
    items_checked: int
    lost: int
    flag_mismatches: int
    examples: list[dict] = field(default_factory=list)


def last_acknowledged(acks: list[tuple]) -> dict[tuple[int, int], tuple[list[str], bool, float]]:
    """The last acknowledged value per (attempt, item), by the time the reply arrived."""
    last: dict[tuple[int, int], tuple[list[str], bool, float]] = {}
    for attempt_id, item_id, choices, flagged, replied_at in acks:
        key = (attempt_id, item_id)
        if key not in last or replied_at >= last[key][2]:
            last[key] = (sorted(choices), bool(flagged), replied_at)
    return last


def check_responses(database_url: str, acks: list[tuple]) -> Verification:
    """Compare the stored `responses` rows with the client's record of acknowledged saves."""
    expected = last_acknowledged(acks)
    engine = create_engine(database_url)
    stored: dict[tuple[int, int], tuple[list[str], bool]] = {}
    attempt_ids = sorted({a for a, _ in expected})
    with engine.connect() as conn:
        for start in range(0, len(attempt_ids), 500):
            chunk = attempt_ids[start : start + 500]
            rows = conn.execute(
                text(
                    "SELECT attempt_id, attempt_item_id, choices, flagged FROM responses "
                    f"WHERE attempt_id IN ({', '.join(str(int(a)) for a in chunk)})"
                )
            ).all()
            for attempt_id, item_id, choices, flagged in rows:
                if isinstance(choices, str):
                    choices = json.loads(choices)
                stored[(attempt_id, item_id)] = (sorted(choices or []), bool(flagged))
    engine.dispose()
    return _compare(expected, stored, len(acks))


def check_floor(database_url: str, table: str, acks: list[tuple]) -> Verification:
    expected = last_acknowledged(acks)
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT id, choices, flagged FROM {table}")).all()
    engine.dispose()
    stored = {
        (0, key): (sorted(json.loads(choices) if isinstance(choices, str) else choices), bool(flagged))
        for key, choices, flagged in rows
    }
    return _compare(expected, stored, len(acks))


def _compare(expected: dict, stored: dict, ack_count: int) -> Verification:
    lost = flags = 0
    examples = []
    for key, (choices, flagged, _) in expected.items():
        found = stored.get(key)
        if found is None or found[0] != choices:
            lost += 1
            if len(examples) < 10:
                examples.append(
                    {
                        "attempt": key[0],
                        "item": key[1],
                        "acknowledged": choices,
                        "stored": found[0] if found else None,
                    }
                )
        elif found[1] != flagged:
            flags += 1
    return Verification(ack_count, len(expected), lost, flags, examples)
