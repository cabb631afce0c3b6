"""The bearer JWT, verified without the database and without DRF, for the hottest paths.

Tokens are the ones simplejwt issues (HS256, `token_type: access`, `user_id`, `iat`). A
verified token's claims are remembered per process, so a fan polling every few seconds
costs one dictionary lookup instead of an HMAC and a JSON parse; expiry and revocation
(the account deactivated, deleted or its password changed: apps/user/revocation.py) are
still checked every time, in memory.
"""

import base64
import hashlib
import hmac
import json
import time
from functools import lru_cache
from typing import Any

import jwt
from django.http import HttpRequest
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.settings import api_settings

from apps.ops.logs import user_id as logged_user
from apps.user.wiring import token_revocations
from domain.errors import Unauthenticated

SIGNED_OUT = "the account changed (password, deactivated or deleted): sign in again"


class NotAuthenticated(Unauthenticated):
    code = "not_authenticated"
    title = "Authentication credentials were not provided"


class TokenInvalid(Unauthenticated):
    code = "token_invalid"
    title = "Token is invalid or expired"


# The claims of the access tokens simplejwt issues; a token with any other claim (aud, iss,
# nbf...) is left to PyJWT and its rules for them.
_ACCESS_CLAIMS = frozenset({"token_type", "exp", "iat", "jti", "user_id"})


# The header segment PyJWT (so simplejwt) writes for HS256: its header JSON, keys sorted,
# no spaces (tests/api/test_bearer_tokens.py checks that our tokens carry exactly this).
_HS256_HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()


def _ours_checked_fast(token: str) -> dict[str, Any] | None:
    """The claims of an HS256 token in exactly the form we issue, checked with one HMAC; None
    for any other token, or a signature that doesn't match, which PyJWT then checks (and
    refuses) by its full rules.

    A fan's first request (a waiting-room entry) carries a token no process has seen yet,
    and PyJWT's check, which validates the encoding character by character, was a fifth of
    an entry's CPU (docs/PERFORMANCE.md). The signature is compared as the exact text we
    would have written, so no other spelling of it passes."""
    if api_settings.ALGORITHM != "HS256":
        return None
    header, _, rest = token.partition(".")
    payload, _, signature = rest.partition(".")
    if header != _HS256_HEADER or not payload or not signature or "." in signature:
        return None
    key = api_settings.SIGNING_KEY.encode()
    digest = hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    if not hmac.compare_digest(expected, signature):
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:  # binascii.Error and JSONDecodeError are ValueErrors
        return None
    if not isinstance(claims, dict) or not _ACCESS_CLAIMS.issuperset(claims):
        return None
    if not isinstance(claims.get("exp"), int) or not isinstance(claims.get("iat", 0), int):
        return None
    return claims


def _checked_by_pyjwt(token: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            api_settings.SIGNING_KEY,
            algorithms=[api_settings.ALGORITHM],
            options={"require": ["exp"]},
        )
    except jwt.PyJWTError as exc:
        raise TokenInvalid(str(exc)) from None
    return claims


@lru_cache(maxsize=16384)
def _verified_claims(token: str) -> tuple[int, int, float]:
    claims = _ours_checked_fast(token)
    if claims is None:
        claims = _checked_by_pyjwt(token)
    if claims.get(api_settings.TOKEN_TYPE_CLAIM) != "access":
        raise TokenInvalid("not an access token")
    try:
        issued = float(claims.get("iat", 0))
        return int(claims[api_settings.USER_ID_CLAIM]), int(claims["exp"]), issued
    except (KeyError, TypeError, ValueError):
        raise TokenInvalid("the token names no user") from None


def bearer_user_id(request: HttpRequest) -> int:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        raise NotAuthenticated("send Authorization: Bearer <access token>")
    scheme, _, token = header.partition(" ")
    if scheme not in api_settings.AUTH_HEADER_TYPES or not token:
        raise TokenInvalid("expected Authorization: Bearer <access token>")
    user_id, expires, issued = _verified_claims(token.strip())
    if expires <= time.time():
        raise TokenInvalid("the token has expired")
    if token_revocations().is_revoked(user_id, issued_at_s=issued):
        raise TokenInvalid(SIGNED_OUT)
    logged_user.set(user_id)
    return user_id


class BearerUser:
    """The caller as the verified token names it; no database row is loaded."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, user_id: int) -> None:
        self.id = self.pk = user_id

    def __str__(self) -> str:
        return f"user {self.id}"


class CachedBearerAuthentication(BaseAuthentication):
    """DRF authentication for the booking endpoints: the same JWT check as the waiting
    room (cached, no SQL). Staff pages keep Django's session authentication."""

    def authenticate(self, request: Request) -> tuple[BearerUser, None] | None:
        if not request.META.get("HTTP_AUTHORIZATION"):
            return None  # the permission answers 401 not_authenticated
        return BearerUser(bearer_user_id(request)), None

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class RevocableJWTAuthentication(JWTAuthentication):
    """simplejwt's authentication (the user loaded, `is_active` checked), refusing too the
    tokens issued before the account's revocation mark."""

    def get_user(self, validated_token: Any) -> Any:
        user = super().get_user(validated_token)
        issued = float(validated_token.get("iat", 0))
        if token_revocations().is_revoked(int(user.pk), issued_at_s=issued):
            raise TokenInvalid(SIGNED_OUT)
        logged_user.set(int(user.pk))
        return user
