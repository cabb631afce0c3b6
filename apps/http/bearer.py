"""The bearer JWT, verified without the database and without DRF, for the hottest paths.

Tokens are the ones simplejwt issues (HS256, `token_type: access`, `user_id`, `iat`). A
verified token's claims are remembered per process, so a fan polling every few seconds
costs one dictionary lookup instead of an HMAC and a JSON parse; expiry and revocation
(the account deactivated, deleted or its password changed: apps/user/revocation.py) are
still checked every time, in memory.
"""

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


@lru_cache(maxsize=16384)
def _verified_claims(token: str) -> tuple[int, int, float]:
    try:
        claims = jwt.decode(
            token,
            api_settings.SIGNING_KEY,
            algorithms=[api_settings.ALGORITHM],
            options={"require": ["exp"]},
        )
    except jwt.PyJWTError as exc:
        raise TokenInvalid(str(exc)) from None
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
