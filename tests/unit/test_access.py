"""The pure access rules: who may watch and who may find a video of each visibility, which
audience changes revoke playback tokens, and tokens bound to a key version."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from clipcast.cdn.signing import read_playback, sign_playback, verify_playback
from clipcast.videos.lifecycle import Audience, Visibility, can_find, can_watch, narrows

OWNER = uuid.UUID("11111111-1111-4111-8111-111111111111")
VIEWER = uuid.UUID("22222222-2222-4222-8222-222222222222")
VIDEO = uuid.UUID("33333333-3333-4333-8333-333333333333")
G1 = uuid.UUID("44444444-4444-4444-8444-444444444444")
G2 = uuid.UUID("55555555-5555-4555-8555-555555555555")
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

# (viewer, in one of the video's groups) for each kind of caller.
CALLERS = {
    "owner": (OWNER, False),
    "member": (VIEWER, True),
    "other": (VIEWER, False),
    "anonymous": (None, False),
}
WATCHES = {
    Visibility.PUBLIC: {"owner", "member", "other", "anonymous"},
    Visibility.UNLISTED: {"owner", "member", "other", "anonymous"},
    Visibility.PRIVATE: {"owner"},
    Visibility.GROUP: {"owner", "member"},
}
FINDS = {
    Visibility.PUBLIC: {"owner", "member", "other", "anonymous"},
    Visibility.UNLISTED: {"owner"},
    Visibility.PRIVATE: {"owner"},
    Visibility.GROUP: {"owner", "member"},
}


@pytest.mark.parametrize("visibility", list(Visibility), ids=str)
@pytest.mark.parametrize("caller", list(CALLERS))
def test_who_watches_and_who_finds(visibility: Visibility, caller: str) -> None:
    viewer, in_group = CALLERS[caller]
    watches = can_watch(
        visibility=visibility,
        owner_id=OWNER,
        viewer_id=viewer,
        has_token=False,
        in_group=in_group,
    )
    finds = can_find(visibility=visibility, owner_id=OWNER, viewer_id=viewer, in_group=in_group)
    assert (watches, finds) == (caller in WATCHES[visibility], caller in FINDS[visibility])


def test_membership_counts_only_for_group_videos() -> None:
    for visibility in (Visibility.PRIVATE, Visibility.UNLISTED):
        assert not can_find(visibility=visibility, owner_id=OWNER, viewer_id=VIEWER, in_group=True)
    assert not can_watch(
        visibility=Visibility.PRIVATE,
        owner_id=OWNER,
        viewer_id=VIEWER,
        has_token=False,
        in_group=True,
    )


def test_a_token_opens_any_visibility_for_its_holder() -> None:
    for visibility in Visibility:
        assert can_watch(visibility=visibility, owner_id=OWNER, viewer_id=None, has_token=True)


def aud(visibility: Visibility, *groups: uuid.UUID) -> Audience:
    return Audience(visibility, frozenset(groups))


@pytest.mark.parametrize(
    ("old", "new", "revokes"),
    [
        (aud(Visibility.PUBLIC), aud(Visibility.UNLISTED), False),
        (aud(Visibility.UNLISTED), aud(Visibility.PUBLIC), False),
        (aud(Visibility.PUBLIC), aud(Visibility.GROUP, G1), True),
        (aud(Visibility.UNLISTED), aud(Visibility.GROUP, G1), True),
        (aud(Visibility.PUBLIC), aud(Visibility.PRIVATE), True),
        (aud(Visibility.UNLISTED), aud(Visibility.PRIVATE), True),
        (aud(Visibility.GROUP, G1), aud(Visibility.PRIVATE), True),
        (aud(Visibility.GROUP, G1), aud(Visibility.GROUP, G1, G2), False),
        (aud(Visibility.GROUP, G1, G2), aud(Visibility.GROUP, G2), True),
        (aud(Visibility.GROUP, G1), aud(Visibility.GROUP, G2), True),
        (aud(Visibility.GROUP, G1), aud(Visibility.PUBLIC), False),
        (aud(Visibility.PRIVATE), aud(Visibility.GROUP, G1), False),
        (aud(Visibility.PRIVATE), aud(Visibility.PUBLIC), False),
        (aud(Visibility.PRIVATE), aud(Visibility.PRIVATE), False),
    ],
)
def test_tokens_are_revoked_when_the_audience_narrows(
    old: Audience, new: Audience, revokes: bool
) -> None:
    assert narrows(old, new) is revokes


class TestKeyVersionedTokens:
    def test_a_token_opens_media_only_at_its_key_version(self) -> None:
        token = sign_playback(b"k", VIDEO, NOW, 60, key_version=3)
        assert verify_playback(b"k", token, VIDEO, NOW, key_version=3)
        assert not verify_playback(b"k", token, VIDEO, NOW, key_version=4)
        assert not verify_playback(b"k", token, VIDEO, NOW, key_version=2)

    def test_the_key_version_is_signed_not_just_carried(self) -> None:
        token = sign_playback(b"k", VIDEO, NOW, 60, key_version=3)
        mac, expires, version = token.split("/")
        assert version == "3"
        assert not verify_playback(b"k", f"{mac}/{expires}/4", VIDEO, NOW, key_version=4)

    def test_the_fields_an_edge_reads_are_plain(self) -> None:
        token = sign_playback(b"k", VIDEO, NOW, 60, key_version=7)
        read = read_playback(b"k", token, VIDEO, NOW + timedelta(seconds=30))
        assert read is not None
        assert (read.expires, read.key_version) == (int(NOW.timestamp()) + 60, 7)
        assert read_playback(b"k", token, VIDEO, NOW + timedelta(seconds=61)) is None

    def test_junk_is_refused(self) -> None:
        mac = "A" * 22
        junk_tokens = ("", "1/2", f"{mac}/1/", f"{mac}/a/1", f"{mac}/1/a", f"{mac}//1", "x/1/1")
        for junk in (*junk_tokens, f"{mac}/١٢/1", f"{mac}/{'9' * 13}/1", f"{mac}/1/1/1"):
            assert read_playback(b"k", junk, VIDEO, NOW) is None
