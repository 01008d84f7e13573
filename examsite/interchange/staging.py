"""Uploads kept between the preview and the confirmation, in the instance folder, for their uploader only."""

from __future__ import annotations

import json
import secrets
import shutil
import time
from pathlib import Path

from examsite.interchange.safety import InputFile


def _root(instance_path: str) -> Path:
    return Path(instance_path) / "imports"


#: previews not confirmed within a day are removed at the next preview
KEEP_SECONDS = 24 * 3600


def _sweep(root: Path) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for folder in root.glob("*"):
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


def stage(instance_path: str, user_id: int, files: list[InputFile], settings: dict) -> str:
    _sweep(_root(instance_path))
    token = secrets.token_hex(16)
    folder = _root(instance_path) / token
    folder.mkdir(parents=True)
    for index, file in enumerate(files):
        (folder / f"{index}.upload").write_bytes(file.data)
    meta = {"user_id": user_id, "names": [f.name for f in files], "settings": settings}
    (folder / "meta.json").write_text(json.dumps(meta))
    return token


def load(instance_path: str, token: str, user_id: int) -> tuple[list[InputFile], dict] | None:
    """The staged files and settings, or None when the token is unknown or another user's."""
    folder = _root(instance_path) / token
    if not token.isalnum() or not (folder / "meta.json").is_file():
        return None
    meta = json.loads((folder / "meta.json").read_text())
    if meta["user_id"] != user_id:
        return None
    files = [InputFile(name, (folder / f"{i}.upload").read_bytes()) for i, name in enumerate(meta["names"])]
    return files, meta["settings"]


def discard(instance_path: str, token: str) -> None:
    if token.isalnum():
        shutil.rmtree(_root(instance_path) / token, ignore_errors=True)
