"""Time decay (pure): an event's weight halves every `half_life` seconds of age."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import numpy.typing as npt


def decay(age_seconds: float, half_life_seconds: float) -> float:
    """2^(−age / half-life); an event from the future (clock skew) counts as new."""
    if half_life_seconds <= 0:
        raise ValueError("half-life must be positive")
    return math.pow(2.0, -max(age_seconds, 0.0) / half_life_seconds)


def decay_since(at: datetime, now: datetime, half_life_seconds: float) -> float:
    return decay((now - at).total_seconds(), half_life_seconds)


def decay_many(
    ages_seconds: npt.NDArray[np.floating], half_life_seconds: float
) -> npt.NDArray[np.float64]:
    if half_life_seconds <= 0:
        raise ValueError("half-life must be positive")
    ages = np.maximum(np.asarray(ages_seconds, dtype=np.float64), 0.0)
    return np.exp2(-ages / half_life_seconds)
