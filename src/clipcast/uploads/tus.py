"""tus 1.0 protocol details (pure): versions, metadata header, what a request must carry."""

from __future__ import annotations

import base64
import binascii
import re

from clipcast.core.errors import ClipcastError, InvalidInput

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,termination,expiration"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"

_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class UnsupportedVersion(ClipcastError):
    status = 412
    code = "tus_version"


class UnsupportedMediaType(ClipcastError):
    status = 415
    code = "tus_content_type"


def check_version(header: str | None) -> None:
    if header != TUS_VERSION:
        raise UnsupportedVersion(f"Tus-Resumable must be {TUS_VERSION}.")


def parse_metadata(header: str | None) -> dict[str, str]:
    """`key b64value,key2 b64value2` → dict; values must be UTF-8."""
    out: dict[str, str] = {}
    if not header:
        return out
    for pair in header.split(","):
        parts = pair.strip().split(" ")
        if not parts[0]:
            continue
        if len(parts) > 2 or not _KEY.match(parts[0]) or parts[0] in out:
            raise InvalidInput("Upload-Metadata is malformed.", code="tus_metadata")
        try:
            value = base64.b64decode(parts[1], validate=True).decode() if len(parts) == 2 else ""
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidInput("Upload-Metadata is malformed.", code="tus_metadata") from None
        out[parts[0]] = value
    return out


def encode_metadata(meta: dict[str, str]) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items())


def parse_length(header: str | None, name: str) -> int:
    if header is None or not header.isdigit() or len(header) > 19:
        raise InvalidInput(f"{name} must be a non-negative integer.", code="tus_header")
    return int(header)
