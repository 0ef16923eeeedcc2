"""HTTP basic authentication against bcrypt hashes, as the Prometheus exporter-toolkit does it.

bcrypt is deliberately slow (tens of milliseconds at cost 10), and Prometheus sends the same credentials
on every scrape, so a successful check is remembered: per user, a keyed digest of (user, hash, password)
under a random per-process key, compared in constant time. Only successes are cached, so guessing keeps
paying the bcrypt cost; an unknown user is checked against a dummy hash so timing does not reveal which
users exist.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
from collections.abc import Mapping

import bcrypt

# The hash exporter-toolkit uses for unknown users (cost 10), so a miss costs as much as a real check.
_DUMMY_HASH = b"$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """(user, password) from an `Authorization: Basic ...` header, or None if absent or malformed."""
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


class BasicAuth:
    def __init__(self, users: Mapping[str, str]) -> None:
        self._users = {user: hashed.encode() for user, hashed in users.items()}
        self._key = secrets.token_bytes(32)
        self._verified: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def _digest(self, user: str, hashed: bytes, password: str) -> bytes:
        message = b"\0".join((user.encode(), hashed, password.encode("utf-8", "surrogatepass")))
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def cached(self, user: str, password: str) -> bool:
        """True if these credentials were verified before (cheap; no bcrypt)."""
        hashed = self._users.get(user)
        if hashed is None:
            return False
        with self._lock:
            known = self._verified.get(user, b"")
        return hmac.compare_digest(known, self._digest(user, hashed, password))

    def verify(self, user: str, password: str) -> bool:
        """Full check with bcrypt (slow: call it off the event loop); remembers a success."""
        if self.cached(user, password):
            return True
        hashed = self._users.get(user)
        try:
            matches = bcrypt.checkpw(password.encode("utf-8", "surrogatepass"), hashed or _DUMMY_HASH)
        except ValueError:  # a password bcrypt refuses (e.g. NUL bytes) cannot match
            matches = False
        if not (matches and hashed is not None):
            return False
        with self._lock:
            self._verified[user] = self._digest(user, hashed, password)
        return True
