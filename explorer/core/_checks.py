"""Argument checks for the core: each raises ValueError naming the argument, the value and what is allowed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


def choice(arg: str, value: Any, allowed: Mapping | tuple | list) -> Any:
    """Return `value` if it is one of `allowed` (the keys of a mapping), else raise."""
    if value not in allowed:
        names = ", ".join(str(k) for k in allowed)
        raise ValueError(f"unknown {arg} {value!r}; choose one of: {names}")
    return value


def positive(arg: str, value: Any, *, integer: bool = False, allow_zero: bool = False) -> Any:
    """Return `value` if it is a finite number > 0 (or >= 0), an integer if asked, else raise."""
    kind = "an integer" if integer else "a number"
    bad_type = isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating))
    if integer and not bad_type and not float(value).is_integer():
        bad_type = True
    if bad_type:
        raise ValueError(f"{arg} must be {kind}, got {value!r}")
    bound = ">= 0" if allow_zero else "> 0"
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{arg} must be {kind} {bound}, got {value!r}")
    return int(value) if integer else float(value)


def array2d(arg: str, value: Any, cols: int | None = None, rows: int | None = None) -> np.ndarray:
    """Return `value` as a finite float64 array of shape (rows, cols), else raise."""
    a = np.asarray(value, dtype=np.float64)
    if a.ndim != 2 or (cols is not None and a.shape[1] != cols) or (rows is not None and a.shape[0] != rows):
        want = f"({rows if rows is not None else 'm'}, {cols if cols is not None else 'n'})"
        raise ValueError(f"{arg} must have shape {want}, got shape {a.shape}")
    if a.shape[0] == 0:
        raise ValueError(f"{arg} must have at least one row (sample), got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{arg} must be finite; it holds NaN or inf")
    return a
