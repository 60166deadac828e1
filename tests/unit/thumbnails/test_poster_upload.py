"""Decoding an uploaded poster with Pillow: bombs refused before decoding, metadata dropped."""

from __future__ import annotations

import io
import resource

import pytest
from PIL import Image
from tests.pictures import encoded, jpeg_with_exif, png_bomb

from clipcast.thumbnails.formats import ImageRejected
from clipcast.thumbnails.images import poster_from_upload


@pytest.mark.parametrize(
    ("width", "height"),
    [(50_000, 50_000), (9_000, 6_000), (20_000, 100)],
    ids=["2.5-gigapixel", "54-megapixel", "long-strip"],
)
def test_bombs_are_refused_on_their_declared_size(width: int, height: int) -> None:
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ImageRejected) as refused:
        poster_from_upload(png_bomb(width, height))
    assert refused.value.code == "image_too_large"
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) < 64 * 1024


def test_a_damaged_picture_is_refused() -> None:
    whole = jpeg_with_exif((640, 360))
    with pytest.raises(ImageRejected, match="damaged"):
        poster_from_upload(whole[: len(whole) // 3])


def test_a_gif_renamed_is_still_a_gif() -> None:
    with pytest.raises(ImageRejected, match="GIF"):
        poster_from_upload(encoded(Image.new("RGB", (64, 64)), "GIF"))


def test_sizes_follow_the_camera_orientation_and_metadata_is_gone() -> None:
    files = poster_from_upload(jpeg_with_exif((2000, 1000), orientation=6))
    jpeg, webp = files.player
    assert (jpeg.width, jpeg.height) == (360, 720)
    assert (files.card[0].width, files.card[0].height) == (90, 180)
    for data in (jpeg.data, webp.data, files.card[0].data):
        assert b"SecretCam" not in data and b"private note" not in data
        image = Image.open(io.BytesIO(data))
        assert not image.getexif()
        assert image.size in {(360, 720), (90, 180)}


def test_a_small_picture_is_not_upscaled() -> None:
    files = poster_from_upload(encoded(Image.new("RGB", (200, 100), (9, 9, 9)), "PNG"))
    assert (files.player[0].width, files.player[0].height) == (200, 100)
    assert (files.card[0].width, files.card[0].height) == (200, 100)


def test_transparency_is_laid_on_black() -> None:
    clear = Image.new("RGBA", (320, 180), (255, 255, 255, 0))
    files = poster_from_upload(encoded(clear, "WEBP"))
    card = Image.open(io.BytesIO(files.card[0].data))
    assert card.mode == "RGB"
    assert max(card.getpixel((160, 90))) < 16  # type: ignore[arg-type]


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_bomb_pillow_only_warns_about_is_refused_by_our_own_check() -> None:
    # As in production, where Pillow's warning is not an error: our cap still refuses it.
    with pytest.raises(ImageRejected) as refused:
        poster_from_upload(png_bomb(9_000, 6_000))
    assert refused.value.code == "image_too_large"
