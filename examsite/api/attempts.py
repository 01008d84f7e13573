"""Attempts API: start or resume, read, save one answer, submit, clock, integrity events."""

from __future__ import annotations

from functools import wraps

from flask import jsonify, request
from flask_login import current_user

from examsite.accounts.models import UserRole
from examsite.api import bp, json_body
from examsite.api.schemas import (
    Attempt,
    Clock,
    Event,
    EventIn,
    Result,
    StartAttemptIn,
    Struck,
    StruckIn,
    parse_body,
    reply,
)
from examsite.catalog.services import get_role
from examsite.delivery import aids, services
from examsite.delivery.presenters import attempt_view, result_view
from examsite.errors import ApiError
from examsite.timeutil import isoformat, utcnow


def trainee_api(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            raise ApiError(401, "unauthorized", "Log in or send a bearer token.")
        if current_user.role != UserRole.TRAINEE:
            raise ApiError(403, "forbidden", "Only trainee accounts take exams.")
        try:
            return view(*args, **kwargs)
        except services.DeliveryError as exc:
            raise ApiError(exc.status, exc.code, exc.message, **exc.extra) from exc

    return wrapped


@bp.post("/attempts")
@trainee_api
def start_attempt():
    slug = parse_body(StartAttemptIn, json_body()).role
    role = get_role(slug)
    if role is None:
        raise ApiError(404, "not_found", f"No role {slug!r}.")
    with services.delivery_unit():
        attempt, created = services.start_attempt(current_user, role)
    return jsonify(reply(Attempt, attempt_view(attempt))), 201 if created else 200


@bp.get("/attempts/<int:attempt_id>")
@trainee_api
def get_attempt(attempt_id: int):
    attempt = services.get_attempt_for(current_user, attempt_id)
    services.note_device(attempt, request.headers.get("X-Device-Id"), request.remote_addr)
    return jsonify(reply(Attempt, attempt_view(attempt)))


@bp.get("/attempts/<int:attempt_id>/time")
@trainee_api
def attempt_time(attempt_id: int):
    attempt = services.get_attempt_for(current_user, attempt_id)
    deadline, now = isoformat(attempt.deadline), isoformat(utcnow())
    return jsonify(reply(Clock, {"status": attempt.status, "deadline": deadline, "server_time": now}))


@bp.put("/attempts/<int:attempt_id>/responses/<int:item_id>")
@trainee_api
def save_response(attempt_id: int, item_id: int):
    # The hot path: these checks are schemas.ResponseIn's rules written inline (no model built per
    # save); tests/integration/test_openapi.py holds the two to the same answers, and the reply to
    # schemas.Saved.
    data = json_body()
    choices = data.get("choices", [])
    flagged = data.get("flagged")
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices) or len(choices) > 6:
        raise ApiError(422, "invalid", "choices must be a list of option ids.")
    if flagged is not None and not isinstance(flagged, bool):
        raise ApiError(422, "invalid", "flagged must be true or false.")
    saved_at = services.save_answer(current_user, attempt_id, item_id, choices, flagged)
    return jsonify(
        {"saved_at": isoformat(saved_at), "item_id": item_id, "choices": list(dict.fromkeys(choices))}
    )


@bp.put("/attempts/<int:attempt_id>/items/<int:item_id>/struck")
@trainee_api
def strike_options(attempt_id: int, item_id: int):
    """The options struck out on one item: a reading aid kept with the attempt, never an answer."""
    body = parse_body(StruckIn, json_body())
    with services.delivery_unit():
        struck = aids.strike_options(current_user, attempt_id, item_id, body.struck)
    return jsonify(reply(Struck, {"item_id": item_id, "struck": struck}))


@bp.post("/attempts/<int:attempt_id>/submit")
@trainee_api
def submit_attempt(attempt_id: int):
    attempt = services.get_attempt_for(current_user, attempt_id)
    with services.delivery_unit():
        attempt = services.submit_attempt(attempt)
    return jsonify(reply(Result, result_view(attempt)))


@bp.post("/attempts/<int:attempt_id>/events")
@trainee_api
def attempt_events(attempt_id: int):
    body = json_body()
    attempt = services.get_attempt_for(current_user, attempt_id)
    event_in = parse_body(EventIn, body)
    details = event_in.details if isinstance(event_in.details, dict) else {}
    details = {str(k)[:32]: str(v)[:200] for k, v in list(details.items())[:10]}
    with services.delivery_unit():
        event = services.record_integrity_event(attempt, event_in.kind, details, request.remote_addr)
    event_out = {"id": event.id, "kind": event.kind, "occurred_at": isoformat(event.occurred_at)}
    return jsonify(reply(Event, event_out)), 201
