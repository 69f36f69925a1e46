"""How a cost grows with size: the log-log slope of cost against size, put into words.

A slope of 1 means cost grows in proportion to size (10x the data, 10x the time); 0 means it does not grow.
The slope is a least-squares fit over every measured size, so one noisy point does not decide the verdict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

# slope bands: below 0.15 the cost barely moves (10x data, < 1.4x time); 0.85-1.15 is proportional
BANDS = ((0.15, "flat"), (0.85, "sublinear"), (1.15, "linear"))


def slope(sizes: Sequence[float], costs: Sequence[float]) -> float:
    xs = [math.log(s) for s in sizes]
    ys = [math.log(max(c, 1e-9)) for c in costs]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def verdict(sizes: Sequence[float], costs: Sequence[float]) -> str:
    """'flat' / 'sublinear' / 'linear' / 'superlinear', with the slope, e.g. 'linear (slope 0.97)'."""
    if len(sizes) < 2:
        return "n/a (one size)"
    s = slope(sizes, costs)
    word = next((name for limit, name in BANDS if s < limit), "superlinear")
    return f"{word} (slope {s:.2f})"


def verdicts(by_size: dict[str, dict[str, float]], *keys: str) -> dict[str, str]:
    """One verdict per cost key of a {size: {key: cost}} series (sizes are the dict's keys, as strings)."""
    sizes = [float(size) for size in by_size]
    return {key: verdict(sizes, [row[key] for row in by_size.values()]) for key in keys}
