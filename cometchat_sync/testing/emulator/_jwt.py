"""Look-alike JWTs: three base64url parts, RS256 header, random signature.

The emulator never verifies a signature: it remembers every JWT it issued (``Store.jwts``, filled
by ``_users``), so a JWT is valid exactly when the emulator handed it out and has not revoked
it. Header, claims and lifetime mirror the JWTs in the observed traffic of the official SDKs.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from typing import Any
from typing import Optional

__all__ = ["JWT_HEADER", "b64url", "decode_payload", "make_jwt"]

JWT_HEADER: dict[str, str] = {"alg": "RS256", "typ": "JWT", "kid": "ccpro_jwt_rs256_key1"}
_LIFETIME_S = 60 * 24 * 3600  # 60 days (observed traffic of the official SDKs)


def b64url(raw: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _json_part(obj: dict[str, Any]) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode("utf-8"))


def make_jwt(uid: str, app_id: str, region: str, issuer: str, now: int) -> tuple[str, int]:
    """Return ``(jwt, exp)`` for ``uid``; the signature is 256 random bytes."""
    exp = now + _LIFETIME_S
    payload = {
        "iss": issuer,
        "aud": app_id,
        "sub": f"[{app_id}]{uid}",
        "uid": uid,
        "appId": app_id,
        "region": region,
        "iat": now,
        "nbf": now,
        "exp": exp,
        "jti": secrets.token_hex(16),
    }
    return f"{_json_part(JWT_HEADER)}.{_json_part(payload)}.{b64url(os.urandom(256))}", exp


def decode_payload(jwt: str) -> Optional[dict[str, Any]]:
    """The payload of a 3-part JWT as a dict, or ``None`` if it does not look like one."""
    parts = jwt.split(".")
    if len(parts) != 3:
        return None
    try:
        raw = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return payload if isinstance(payload, dict) else None
