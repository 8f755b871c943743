"""Defanging for tickets and chat: the same rules as the extension (extension/lib/format.js
`defang`; tests/unit/test_export_defang.py runs both on one set of cases)."""

from __future__ import annotations

import re

_URL = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://([^/?#]*)(.*)$", re.S)


def defang(ioc_type: str, value: str) -> str:
    if ioc_type == "url":
        m = _URL.match(value)
        if not m:
            return value.replace(".", "[.]")
        scheme = re.sub(r"^ftp", "fxp", re.sub(r"^http", "hxxp", m.group(1).lower()))
        host = m.group(2).replace(".", "[.]").replace(":", "[:]")
        return f"{scheme}[://]{host}{m.group(3)}"
    if ioc_type in ("domain", "ipv4"):
        return value.replace(".", "[.]")
    if ioc_type == "ipv6":
        return value.replace(":", "[:]")
    if ioc_type == "email":
        return value.replace("@", "[@]").replace(".", "[.]")
    return value
