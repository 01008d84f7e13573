"""Writing to the audit log: one call per change, in the same transaction as the change."""

from __future__ import annotations

from flask import has_request_context, request

from examsite.audit.models import AuditEvent
from examsite.extensions import db


def record(
    action: str,
    obj: object | None = None,
    *,
    actor=None,
    object_type: str | None = None,
    object_id: object | None = None,
    **details,
) -> AuditEvent:
    """Add an audit event to the session; the caller's commit makes it durable with the change."""
    if obj is not None:
        object_type = object_type or type(obj).__name__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    if actor is None and has_request_context():
        from flask_login import current_user

        actor = current_user if getattr(current_user, "is_authenticated", False) else None
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type or "-",
        object_id=None if object_id is None else str(object_id),
        ip_address=request.remote_addr if has_request_context() else None,
        details={k: v for k, v in details.items() if v is not None},
    )
    db.session.add(event)
    return event
