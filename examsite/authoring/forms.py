"""Reading the workspace's HTML forms into the same data the JSON API takes."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from examsite.authoring.content import OPTION_IDS


def item_data(form: MultiDict, category: str | None = None) -> dict:
    """The editor's fields as an API item: options a-f with text, key boxes, comma-separated tags."""
    options = [
        {"id": letter, "text": form.get(f"option_{letter}", "")}
        for letter in OPTION_IDS
        if form.get(f"option_{letter}", "").strip()
    ]
    data = {
        "category": category or form.get("category", ""),
        "domain": form.get("domain", ""),
        "type": form.get("type", ""),
        "level": form.get("level", ""),
        "stem": form.get("stem", ""),
        "options": options,
        "key": form.getlist("key"),
        "rationale": form.get("rationale", ""),
        "tags": [t.strip() for t in form.get("tags", "").split(",") if t.strip()],
    }
    version = form.get("version", "")
    if version.isdigit():
        data["version"] = int(version)
    return data


def editor_values(data: dict) -> dict:
    """What the editor shows: the API item's fields flattened back into form values."""
    values = {
        "category": data.get("category", ""),
        "domain": data.get("domain", ""),
        "type": data.get("type", "single"),
        "level": data.get("level", "recall"),
        "stem": data.get("stem", ""),
        "rationale": data.get("rationale", ""),
        "tags": ", ".join(data.get("tags") or []),
        "key": list(data.get("key") or []),
        "version": data.get("version", ""),
    }
    texts = {o.get("id"): o.get("text", "") for o in data.get("options") or [] if isinstance(o, dict)}
    for letter in OPTION_IDS:
        values[f"option_{letter}"] = texts.get(letter, "")
    return values
