"""Secrets in DSNs and URLs: how to show them without their passwords.

Reprs, logs and error messages use :func:`mask_dsn`; a driver's own error text, which may
repeat the password, goes through :func:`redact`.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "***"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_PASSWORD_PARAM = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*)", re.IGNORECASE)


def mask_dsn(dsn: str) -> str:
    """``dsn`` with any password replaced by ``***``."""
    masked = _PASSWORD_PARAM.sub(lambda m: m.group(1) + MASK, dsn)
    if _SCHEME.match(masked) is None:
        return masked
    parts = urlsplit(masked)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return masked
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{host}"))


def redact(text: str, dsn: str) -> str:
    """``text`` (e.g. a driver's error message) with ``dsn``'s password masked out."""
    for secret in _passwords(dsn):
        text = text.replace(secret, MASK)
    return text.replace(dsn, mask_dsn(dsn))


def _passwords(dsn: str) -> set[str]:
    found = {m.group(2).strip("'") for m in _PASSWORD_PARAM.finditer(dsn)}
    if _SCHEME.match(dsn):
        userinfo, at, _ = urlsplit(dsn).netloc.rpartition("@")
        if at and ":" in userinfo:
            found.add(userinfo.split(":", 1)[1])
    found |= {unquote(secret) for secret in found}
    return {secret for secret in found if secret}
