"""Images sent in a conversation: what they are (by their first bytes) and how big they
may be. Feishu's chat takes images up to 10 MB in the common formats; so does larkdesk."""

from __future__ import annotations

import secrets

from ...errors import BadRequest
from ...store.base import ImageRecord

MAX_IMAGE_BYTES = 10 * 1024 * 1024
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/bmp": "bmp",
    "image/tiff": "tiff",
    "image/webp": "webp",
}


def content_type_of(data: bytes) -> str | None:
    """The image's media type from its signature; None when it is no image larkdesk takes."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in _SIGNATURES if data.startswith(magic)), None)


def new_image(helpdesk_id: str, data: bytes) -> ImageRecord:
    """An image to keep, under a new Feishu-style key; refused when empty, too big or not
    an image."""
    if not data:
        raise BadRequest("image: the image is empty")
    if len(data) > MAX_IMAGE_BYTES:
        raise BadRequest(f"image: the image is larger than {MAX_IMAGE_BYTES} bytes")
    kind = content_type_of(data)
    if kind is None:
        raise BadRequest("image: not a PNG, JPEG, GIF, WebP, BMP or TIFF image")
    return ImageRecord(new_image_key(), helpdesk_id, kind, data)


def new_image_key() -> str:
    """`img_v2_` and a random UUID-like tail, the shape of Feishu's image keys."""
    h = secrets.token_hex(16)
    return f"img_v2_{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def file_name(image: ImageRecord) -> str:
    return f"{image.image_key}.{EXTENSIONS.get(image.content_type, 'bin')}"
