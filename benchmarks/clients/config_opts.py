"""``--opt name=value,...`` of the cassdk_like clients: more ``TransferConfig`` fields for one run."""

from __future__ import annotations

from typing import Any, Dict

__all__ = ["parse_opts"]


def parse_opts(text: str) -> Dict[str, Any]:
    """``"request_seconds=1.0,buffer_parts=true"`` -> the keyword arguments (float, int or bool)."""
    fields: Dict[str, Any] = {}
    for item in filter(None, text.split(",")):
        name, _, value = item.partition("=")
        value = value.strip()
        if value.lower() in ("true", "false"):
            fields[name.strip()] = value.lower() == "true"
        else:
            fields[name.strip()] = float(value) if "." in value else int(value)
    return fields
