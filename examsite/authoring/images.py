"""Images for item text: size-limited, typed by their bytes, stored once per content.

Only raster formats (PNG, JPEG, GIF, WebP): SVG can carry scripts. Images are served from
/media/items/<sha256>.<ext> with their own Content-Type, nosniff and a CSP that allows nothing,
so even a file that fooled the type check could not run in the site's origin.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from examsite.accounts.models import User
from examsite.audit.services import record
from examsite.authoring.access import AuthoringError
from examsite.authoring.models import ItemImage
from examsite.extensions import db

MAX_BYTES = 1024 * 1024
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
URL_PREFIX = "/media/items/"


def sniff(data: bytes) -> str | None:
    """The image type the bytes say they are, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def url_for_image(image: ItemImage) -> str:
    return f"{URL_PREFIX}{image.sha256}.{EXTENSIONS[image.content_type]}"


def store_image(user: User, data: bytes) -> ItemImage:
    if not data:
        raise AuthoringError(422, "invalid", "Choose an image file to upload.", field="image")
    if len(data) > MAX_BYTES:
        raise AuthoringError(
            413, "too_large", f"Images may be at most {MAX_BYTES // 1024} KB.", field="image"
        )
    content_type = sniff(data)
    if content_type is None:
        raise AuthoringError(
            422, "invalid", "Only PNG, JPEG, GIF and WebP images can be uploaded.", field="image"
        )
    digest = hashlib.sha256(data).hexdigest()
    image = db.session.scalar(select(ItemImage).where(ItemImage.sha256 == digest))
    if image is None:
        image = ItemImage(
            sha256=digest, content_type=content_type, size=len(data), data=data, uploaded_by_id=user.id
        )
        db.session.add(image)
        db.session.flush()
        record("item_image.upload", image, size=len(data), content_type=content_type)
    return image


def find_image(name: str) -> ItemImage | None:
    digest, _, extension = name.partition(".")
    image = db.session.scalar(select(ItemImage).where(ItemImage.sha256 == digest))
    if image is None or EXTENSIONS[image.content_type] != extension:
        return None
    return image
