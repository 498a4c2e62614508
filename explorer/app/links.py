"""Classroom links: a URL query string sets a panel's controls and can hide some of them.

`?panel=perceptron&gate=xor&encoding=pm1&hide=gate,encoding` opens the perceptron on XOR in the +/-1
encoding with those two controls hidden. Keys are the names of a panel's controls (its `controls` dict);
values are read according to the control's kind. Nothing here knows a particular panel.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import ipywidgets as widgets

RESERVED = ("panel", "hide")
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def parse_query(query: str) -> dict[str, str]:
    """The query string (with or without its leading '?') as an ordered dict; the last value of a key wins."""
    return dict(parse_qsl(query.lstrip("?"), keep_blank_values=True))


def read_value(control: widgets.Widget, text: str):
    """The value `text` means for `control`; ValueError in words when it means nothing there."""
    if isinstance(control, (widgets.Dropdown, widgets.RadioButtons, widgets.ToggleButtons)):
        return _option(control, text)
    if isinstance(control, widgets.SelectMultiple):
        return tuple(_option(control, part) for part in text.split(",") if part)
    if isinstance(control, (widgets.Checkbox, widgets.ToggleButton)):
        if text.lower() in TRUE + FALSE:
            return text.lower() in TRUE
        raise ValueError(f"'{text}' is not true or false")
    if isinstance(control, (widgets.FloatRangeSlider, widgets.IntRangeSlider)):
        parts = text.split(",")
        if len(parts) != 2:
            raise ValueError(f"'{text}' is not a range like -6,6")
        kind = float if isinstance(control, widgets.FloatRangeSlider) else int
        return tuple(_number(kind, p) for p in parts)
    if isinstance(control.value, bool):
        raise ValueError(f"'{text}' cannot be set from a link")
    if isinstance(control.value, int):
        return _number(int, text)
    if isinstance(control.value, float):
        return _number(float, text)
    if isinstance(control.value, str):
        return text
    raise ValueError("this control cannot be set from a link")


def write_value(control: widgets.Widget) -> str:
    """The text that `read_value` turns back into the control's current value."""
    value = control.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return ",".join(_text(v) for v in value)
    return _text(value)


def link_query(slug: str, controls: dict[str, widgets.Widget], defaults: dict[str, str]) -> str:
    """A query string that opens panel `slug` with every control that differs from its default."""
    pairs = [("panel", slug)]
    for name, control in controls.items():
        text = _writable(control)
        if text is not None and text != defaults.get(name):
            pairs.append((name, text))
    return "?" + urlencode(pairs, safe=",")


def snapshot(controls: dict[str, widgets.Widget]) -> dict[str, str]:
    """Every linkable control's value as link text."""
    return {n: t for n, c in controls.items() if (t := _writable(c)) is not None}


def _writable(control) -> str | None:
    if isinstance(control, (widgets.Button, widgets.Play)) or not hasattr(control, "value"):
        return None
    try:
        read_value(control, write_value(control))
    except ValueError:
        return None
    return write_value(control)


def _text(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _number(kind, text: str):
    try:
        value = kind(text)
    except ValueError:
        raise ValueError(f"'{text}' is not {'an integer' if kind is int else 'a number'}") from None
    if kind is float and value != value:
        raise ValueError("NaN is not a number a control can take")
    return value


def _option(control, text: str):
    """The option value of `control` whose value or label matches `text`, ignoring case."""
    labels = [str(label) for label in control._options_labels]
    values = list(control._options_values)
    for label, value in zip(labels, values):
        if text.lower() in (str(value).lower(), label.lower()):
            return value
    raise ValueError(f"'{text}' is not one of: {', '.join(str(v) for v in values)}")
