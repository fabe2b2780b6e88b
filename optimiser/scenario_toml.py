"""Write tables back into a scenario file: what ``hubplan calibrate`` uses to record fitted values.

The rest of the file (comments, bases, other sections) is kept as it was; the
named tables (and their sub-tables) are removed and written again, before the
first ``[[bases]]`` entry. Values are written as TOML: strings, booleans,
whole numbers, floats, lists and inline tables.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-]+)\s*\]\]?\s*(#.*)?$")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_value(value: Any) -> str:
    """``value`` as a TOML value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else "nan" if math.isnan(value) else repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as TOML")


def toml_key(key: str) -> str:
    """A bare key when possible, else a quoted one."""
    return key if _BARE_KEY.match(key) else _toml_string(key)


def _toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes (TOML accepts them), astral characters as they are, DEL escaped."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007F")


def toml_table(name: str, values: Mapping[str, Any], comments: Mapping[str, str] | None = None) -> str:
    """``[name]`` and one ``key = value`` line per entry, with ``# comment`` where ``comments`` has one."""
    comments = comments or {}
    lines = [
        f"{toml_key(k)} = {toml_value(v)}" + (f"  # {comments[k]}" if k in comments else "") for k, v in values.items()
    ]
    return "\n".join([f"[{name}]", *lines]) + "\n"


def replace_tables(
    text: str, tables: Mapping[str, Mapping[str, Any]], comments: Mapping[str, Mapping[str, str]] | None = None
) -> str:
    """``text`` with each of ``tables`` removed (sub-tables too) and written again before ``[[bases]]``.

    ``comments[table][key]`` is written after that key's value.
    """
    kept = _without_tables(text.splitlines(), tuple(tables))
    comments = comments or {}
    new = "\n".join(toml_table(name, values, comments.get(name)) for name, values in tables.items())
    position = next((k for k, line in enumerate(kept) if line.strip().startswith("[[bases]]")), len(kept))
    while position > 0 and kept[position - 1].lstrip().startswith("#"):
        position -= 1  # keep a comment that introduces the bases with them
    before, after = kept[:position], kept[position:]
    while before and not before[-1].strip():
        before.pop()
    return "\n".join([*before, "", new.rstrip("\n"), "", *after]).rstrip("\n") + "\n"


def _without_tables(lines: list[str], names: tuple[str, ...]) -> list[str]:
    """``lines`` less the tables ``names`` (and their sub-tables); comments ending a dropped table are kept."""
    kept: list[str] = []
    dropping = False
    trailing: list[str] = []  # comments at the end of a dropped table introduce what follows it
    for line in lines:
        header = _HEADER.match(line)
        if header:
            name = header.group(1)
            was_dropping, dropping = dropping, any(name == t or name.startswith(f"{t}.") for t in names)
            kept += trailing if was_dropping and not dropping else []
            trailing = []
        if not dropping:
            kept.append(line)
        elif line.lstrip().startswith("#"):
            trailing.append(line)
        elif line.strip():
            trailing = []
    return kept
