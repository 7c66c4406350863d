"""Serials and their signatures.

A stamp's serial is 64 random bits written in base32 (13 characters). Its signature is an
HMAC-SHA256 over what the stamp says (primary key, lot, serial) with a key held by the service,
cut to 80 bits and written in base32 (16 characters), and preceded by the key's id:
`s=<key id>.<signature>`. HMAC rather than Ed25519 because an Ed25519 signature (64 bytes, 86
characters) would double the QR code; anyone holding the service's keys (the service, or an
inspector's device given them) checks a stamp from its contents alone, offline.

Keys rotate without voiding old stamps: every key stays in the keyring, the URI names the one
that signed, new stamps use the active one. The keyring is a JSON file
(`AGRITRACE_STAMP_KEYRING`, written by `agritrace stamps rotate-key`):
`{"active": "2", "keys": {"1": "<base64url secret>", "2": "…"}}`. Key "0" is derived from
Django's SECRET_KEY so that a new installation signs stamps before any rotation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from pathlib import Path

from django.conf import settings

SERIAL_BYTES = 8  # 64 random bits
SERIAL_LENGTH = 13  # base32 of 8 bytes, without padding
SIGNATURE_BYTES = 10  # 80 bits
SIGNATURE_LENGTH = 16
SERIAL_RE = re.compile(rf"^[a-z2-7]{{{SERIAL_LENGTH}}}$")
_SIGNATURE_RE = re.compile(r"^([0-9a-z]{1,8})\.([a-z2-7]*)$")
DERIVED_KEY_ID = "0"


class KeyringError(Exception):
    pass


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=").lower()


def new_serial() -> str:
    return _b32(secrets.token_bytes(SERIAL_BYTES))


def normalise_serial(text: str) -> str:
    """A serial as typed (any case, spaces or hyphens between groups) in its stored form."""
    return re.sub(r"[\s\-]", "", text or "").lower()


def keyring_path() -> Path:
    return Path(getattr(settings, "AGRITRACE_STAMP_KEYRING", "stamp-keys.json"))


def _read_file() -> dict:
    path = keyring_path()
    if not path.exists():
        return {"active": None, "keys": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KeyringError(f"cannot read the stamp keyring {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
        raise KeyringError(f"the stamp keyring {path} is not a keyring")
    return data


def _derived_key() -> bytes:
    return hmac.new(
        settings.SECRET_KEY.encode(), b"agritrace.stamps.key.0", hashlib.sha256
    ).digest()


def keyring() -> tuple[str, dict[str, bytes]]:
    """(active key id, {key id: secret}). Settings' AGRITRACE_STAMP_KEYS (a dict of id →
    base64url secret) replace the file, for tests and for deployments that keep keys in the
    environment."""
    configured = getattr(settings, "AGRITRACE_STAMP_KEYS", None)
    if configured:
        keys = {k: base64.urlsafe_b64decode(v + "=" * (-len(v) % 4)) for k, v in configured.items()}
        active = getattr(settings, "AGRITRACE_STAMP_ACTIVE_KEY", None) or sorted(keys)[-1]
    else:
        data = _read_file()
        keys = {
            str(k): base64.urlsafe_b64decode(v + "=" * (-len(v) % 4))
            for k, v in data["keys"].items()
        }
        active = data.get("active") or DERIVED_KEY_ID
    keys.setdefault(DERIVED_KEY_ID, _derived_key())
    if active not in keys:
        raise KeyringError(f"the active stamp key {active!r} is not in the keyring")
    return active, keys


def active_key_id() -> str:
    return keyring()[0]


def rotate() -> str:
    """Add a new key to the keyring file and make it the active one; returns its id. Stamps
    signed with the earlier keys stay valid."""
    path = keyring_path()
    data = _read_file()
    ids = [int(k, 36) for k in data["keys"] if re.fullmatch(r"[0-9a-z]+", k)]
    new_id = _base36(max([0, *ids]) + 1)
    data["keys"][new_id] = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    data["active"] = new_id
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
    os.replace(tmp, path)
    return new_id


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out or "0"


def _message(primary: str, key: str, lot: str, serial: str) -> bytes:
    return "\x1d".join((primary, key, lot, serial)).encode()


def sign(primary: str, key: str, lot: str, serial: str, key_id: str | None = None) -> str:
    """The `s` value of a stamp: `<key id>.<signature>`."""
    active, keys = keyring()
    key_id = key_id or active
    digest = hmac.new(keys[key_id], _message(primary, key, lot, serial), hashlib.sha256).digest()
    return f"{key_id}.{_b32(digest[:SIGNATURE_BYTES])}"


class Verdict:
    OK = "ok"
    MISSING = "missing"  # no signature at all
    INCOMPLETE = "incomplete"  # cut short: a damaged or truncated code
    UNKNOWN_KEY = "unknown_key"
    BAD = "bad"  # does not match: forged or altered


def verify(primary: str, key: str, lot: str, serial: str, value: str | None) -> str:
    """Check the `s` value of a stamp; one of the Verdict values."""
    if not value:
        return Verdict.MISSING
    m = _SIGNATURE_RE.match(value)
    if not m:
        return Verdict.BAD
    key_id, signature = m.groups()
    if len(signature) < SIGNATURE_LENGTH:
        return Verdict.INCOMPLETE
    _active, keys = keyring()
    if key_id not in keys:
        return Verdict.UNKNOWN_KEY
    expected = sign(primary, key, lot, serial, key_id).split(".", 1)[1]
    return Verdict.OK if hmac.compare_digest(expected, signature) else Verdict.BAD
