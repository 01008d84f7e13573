"""What a trainee may see of an attempt: items in their shuffled order, never keys or rationales."""

from __future__ import annotations

from flask import url_for
from markupsafe import Markup
from sqlalchemy import select

from examsite.delivery.content import RowState, attempt_rows
from examsite.delivery.models import Attempt
from examsite.extensions import db
from examsite.timeutil import isoformat, utcnow


def item_view(row: RowState, html: bool = False) -> dict:
    version = row.version
    texts = version.option_text()
    view = {
        "id": row.id,
        "position": row.position,
        "type": version.type,
        "choose": len(version.keys) if version.type == "multiple" else 1,
        "stem": version.stem,
        "options": [{"id": oid, "text": texts[oid]} for oid in row.option_order],
        "response": list(row.choices),
        "flagged": row.flagged,
        "scenario": (
            {"id": version.scenario_id, "title": version.scenario_title, "case": version.scenario_text}
            if version.scenario_id
            else None
        ),
    }
    if html:
        view["stem_html"] = version.stem_html
        options_html = version.options_html
        for option in view["options"]:
            option["html"] = options_html[option["id"]]
        if view["scenario"]:
            view["scenario"]["html"] = version.scenario_html
    return view


def attempt_view(attempt: Attempt, rows: list[RowState] | None = None, include_items: bool = True) -> dict:
    now = utcnow()
    data = {
        "id": attempt.id,
        "role": attempt.role.slug,
        "role_name": attempt.role.name,
        "status": attempt.status,
        "started_at": isoformat(attempt.started_at),
        "deadline": isoformat(attempt.deadline),
        "grace_seconds": attempt.grace_seconds,
        "server_time": isoformat(now),
        "seconds_left": max(0, int((attempt.deadline - now).total_seconds())),
    }
    if include_items:
        rows = rows if rows is not None else attempt_rows(attempt)
        data["item_count"] = len(rows)
        data["items"] = [item_view(row) for row in rows]
    if not attempt.is_open:
        data["result"] = result_view(attempt)
    return data


def result_view(attempt: Attempt) -> dict:
    from examsite.certificates.models import Certificate

    code = db.session.scalar(select(Certificate.code).where(Certificate.attempt_id == attempt.id))
    return {
        "status": attempt.status,
        "score_percent": float(attempt.score_percent) if attempt.score_percent is not None else None,
        "raw_score": attempt.raw_score,
        "scored_items": attempt.scored_items,
        "passed": bool(attempt.passed),
        "passing_percent": float(attempt.passing_percent),
        "domains": [
            {"name": d["name"], "correct": d["correct"], "total": d["total"]}
            for d in attempt.domain_results or []
        ],
        "certificate": {"code": code} if code else None,
        "closed_at": isoformat(attempt.closed_at),
    }


def navigator_html(rows: list[RowState], attempt_id: int, current: int) -> Markup:
    """The question navigator's list items: one per item, built directly (every value is an
    integer or a fixed word, so nothing needs escaping); the template loop cost more than the
    rest of the item page together."""
    base = url_for("delivery.item", attempt_id=attempt_id, position=0)[:-1]
    parts = []
    for row in rows:
        state = ("answered" if row.choices else "") + (" flagged" if row.flagged else "")
        current_attr = ' aria-current="page"' if row.position == current else ""
        label = (", answered" if row.choices else ", unanswered") + (", flagged" if row.flagged else "")
        parts.append(
            f'<li><a href="{base}{row.position}" data-position="{row.position}" class="{state.strip()}"'
            f'{current_attr}>{row.position}<span class="visually-hidden">{label}</span></a></li>'
        )
    return Markup("\n".join(parts))  # noqa: S704 - integers and fixed words only


def submit_warning(unanswered: int, flagged: int) -> str:
    """What the confirmation before submitting says: how many questions are left, and how."""
    parts = []
    if unanswered:
        parts.append(f"{unanswered} unanswered question{'' if unanswered == 1 else 's'}")
    if flagged:
        parts.append(f"{flagged} question{'' if flagged == 1 else 's'} flagged for review")
    return f"You have {' and '.join(parts)}." if parts else "Every question is answered."
