"""What a trainee may see of an attempt: items in their shuffled order, never keys or rationales."""

from __future__ import annotations

from datetime import timedelta

from examsite.delivery.models import Attempt, AttemptItem
from examsite.templating import render_inline, render_markdown
from examsite.timeutil import isoformat, utcnow


def item_view(row: AttemptItem, html: bool = False) -> dict:
    version = row.item_version
    texts = {o["id"]: o["text"] for o in version.options}
    response = row.response
    view = {
        "id": row.id,
        "position": row.position,
        "type": version.type,
        "choose": len(version.keys) if version.type == "multiple" else 1,
        "stem": version.stem,
        "options": [{"id": oid, "text": texts[oid]} for oid in row.option_order],
        "response": list(response.choices) if response else [],
        "flagged": bool(response.flagged) if response else False,
        "scenario": (
            {"id": version.scenario_id, "title": version.scenario_title, "case": version.scenario_text}
            if version.scenario_id
            else None
        ),
    }
    if html:
        view["stem_html"] = render_markdown(version.stem)
        for option in view["options"]:
            option["html"] = render_inline(option["text"])
        if view["scenario"]:
            view["scenario"]["html"] = render_markdown(version.scenario_text)
    return view


def attempt_view(attempt: Attempt, include_items: bool = True) -> dict:
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
        "item_count": len(attempt.items),
    }
    if include_items:
        data["items"] = [item_view(row) for row in attempt.items]
    if not attempt.is_open:
        data["result"] = result_view(attempt)
    return data


def result_view(attempt: Attempt) -> dict:
    certificate = None
    from sqlalchemy import select

    from examsite.certificates.models import Certificate
    from examsite.extensions import db

    code = db.session.scalar(select(Certificate.code).where(Certificate.attempt_id == attempt.id))
    if code:
        certificate = {"code": code}
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
        "certificate": certificate,
        "closed_at": isoformat(attempt.closed_at),
    }


def time_left(attempt: Attempt) -> timedelta:
    return attempt.deadline - utcnow()
