"""What makes a username and a password acceptable (pure)."""

from __future__ import annotations

import re

from clipcast.core.errors import InvalidInput

_USERNAME = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9_.-]{2,31}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 256


def normalise_username(username: str) -> str:
    if not _USERNAME.match(username):
        raise InvalidInput(
            "A username is 3–32 characters: letters, digits, '_', '.', '-'.", code="bad_username"
        )
    return username.lower()


def check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(
            f"A password is {MIN_PASSWORD}–{MAX_PASSWORD} characters.", code="bad_password"
        )
