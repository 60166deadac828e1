"""Pictures with Pillow: statistics of candidate frames, poster sizes, and safe decoding of
uploaded posters. Blocking CPU work: callers run these functions in a thread."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFilter, ImageOps, ImageStat, UnidentifiedImageError

from clipcast.thumbnails.formats import (
    MAX_POSTER_PIXELS,
    SNIFF_BYTES,
    ImageRejected,
    check_byte_size,
    check_declared_size,
    sniff_image,
)
from clipcast.thumbnails.keys import ImageType
from clipcast.thumbnails.layout import CARD_BOX, PLAYER_BOX, fit_within
from clipcast.thumbnails.scoring import FrameStats

# Statistics are taken at one width, so sharpness compares alike between candidates and the
# Laplacian sees detail rather than compression noise; 480 px is plenty to tell blur apart.
ANALYSIS_WIDTH = 480
_LAPLACIAN = ImageFilter.Kernel((3, 3), (0, 1, 0, 1, -4, 1, 0, 1, 0), scale=1, offset=128)
JPEG_QUALITY = 85
WEBP_QUALITY = 80
_BACKGROUND = (0, 0, 0)  # behind transparent parts of an uploaded PNG or WebP


@dataclass(frozen=True, slots=True)
class EncodedImage:
    data: bytes
    kind: ImageType
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class PosterFiles:
    """A poster at both sizes, each as (JPEG, WebP)."""

    card: tuple[EncodedImage, EncodedImage]
    player: tuple[EncodedImage, EncodedImage]


def frame_stats(path: Path) -> FrameStats:
    """Luma mean, spread, entropy and Laplacian variance of a frame ffmpeg wrote."""
    with Image.open(path) as image:
        gray = image.convert("L")
    if gray.width > ANALYSIS_WIDTH:
        height = max(1, round(gray.height * ANALYSIS_WIDTH / gray.width))
        gray = gray.resize((ANALYSIS_WIDTH, height), Image.Resampling.BOX)
    stats = ImageStat.Stat(gray)
    edges = ImageStat.Stat(gray.filter(_LAPLACIAN))
    return FrameStats(
        mean=stats.mean[0], stddev=stats.stddev[0], entropy=gray.entropy(), sharpness=edges.var[0]
    )


def poster_from_frame(path: Path) -> PosterFiles:
    """Card and player sizes of a frame ffmpeg wrote (already no larger than the player box)."""
    with Image.open(path) as image:
        return poster_files(image.convert("RGB"))


def poster_files(image: Image.Image) -> PosterFiles:
    return PosterFiles(card=_both(image, CARD_BOX), player=_both(image, PLAYER_BOX))


def _both(image: Image.Image, box: tuple[int, int]) -> tuple[EncodedImage, EncodedImage]:
    size = fit_within(image.width, image.height, box)
    resized = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    # Our own pixels only: no EXIF, ICC, XMP or comments of an upload can reach the output.
    resized.info = {}
    jpeg, webp = io.BytesIO(), io.BytesIO()
    resized.save(jpeg, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    resized.save(webp, "WEBP", quality=WEBP_QUALITY, method=4)
    return (
        EncodedImage(jpeg.getvalue(), ImageType.JPEG, *size),
        EncodedImage(webp.getvalue(), ImageType.WEBP, *size),
    )


def poster_from_upload(data: bytes) -> PosterFiles:
    """Check, decode and re-encode an uploaded picture; ImageRejected with a reason if unfit.

    Decompression bombs are refused on the size the header declares, before any pixel is
    decoded. Pillow's own guard is set to the same cap: a picture big enough for Pillow to warn
    about is one the explicit check refuses, and one twice that size makes `open` raise.
    """
    check_byte_size(len(data))
    kind = sniff_image(data[:SNIFF_BYTES])
    Image.MAX_IMAGE_PIXELS = MAX_POSTER_PIXELS
    try:
        with Image.open(io.BytesIO(data), formats=[kind.value]) as image:
            check_declared_size(image.width, image.height)
            # JPEG can decode at 1/2, 1/4 or 1/8 scale: no need for more than the player size.
            image.draft("RGB", PLAYER_BOX)
            image.load()
            return poster_files(_flatten(ImageOps.exif_transpose(image)))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(
            "The image declares more pixels than a poster may have.", code="image_too_large"
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        # Pillow reports truncated and corrupt data as OSError, bad headers as SyntaxError.
        raise ImageRejected(f"The image could not be read ({kind.value} data is damaged).") from exc


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid on a plain background."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, _BACKGROUND)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def animation_frames(path: Path) -> int:
    """How many frames an animated image ffmpeg wrote has."""
    with Image.open(path) as image:
        return int(getattr(image, "n_frames", 1))
