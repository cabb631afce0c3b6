"""The bearer JWT on the hot paths (apps/http/bearer.py): tokens in the form we issue are
checked with one HMAC, and every token gets the answer PyJWT's full check gives it."""

import base64
import json
import time
from typing import Any

import jwt
import pytest
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

from apps.http import bearer
from apps.http.bearer import TokenInvalid


def segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def signed(claims: dict[str, Any], **options: Any) -> str:
    return jwt.encode(claims, api_settings.SIGNING_KEY, **{"algorithm": "HS256", **options})


def outcome(check: Any, token: str) -> Any:
    """The claims, None for "not mine to check", or "refused" (an expired token is refused
    by the caller of either check, on every request)."""
    try:
        claims = check(token)
    except TokenInvalid:
        return "refused"
    if claims is not None and claims["exp"] <= time.time():
        return "refused"
    return None if claims is None else dict(claims)


def tokens() -> dict[str, str]:
    now = int(time.time())
    claims = {"token_type": "access", "exp": now + 600, "iat": now, "jti": "j", "user_id": 7}
    good = signed(claims)
    header, payload, signature = good.split(".")
    return {
        "issued by simplejwt": str(AccessToken.for_user(type("U", (), {"pk": 7, "id": 7})())),
        "signed as we sign": good,
        "another user, same signature": f"{header}.{segment({**claims, 'user_id': 8})}.{signature}",
        "signature padded": f"{good}=",
        "signature one character off": good[:-1] + ("A" if good[-1] != "A" else "B"),
        "signed with another key": jwt.encode(claims, "another-key-" * 4, algorithm="HS256"),
        "alg none": f"{segment({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "HS384": signed(claims, algorithm="HS384"),
        "an audience": signed({**claims, "aud": "elsewhere"}),
        "not yet valid": signed({**claims, "nbf": now + 3600}),
        "expired": signed({**claims, "exp": now - 10}),
        "no expiry": signed({k: v for k, v in claims.items() if k != "exp"}),
        "expiry not a number": signed({**claims, "exp": "soon"}),
        "four segments": f"{good}.x",
        "garbage": "not-a-token",
    }


@pytest.mark.parametrize("name", list(tokens()))
def test_every_token_gets_pyjwts_answer(name: str) -> None:
    token = tokens()[name]
    fast = outcome(bearer._ours_checked_fast, token)
    full = outcome(bearer._checked_by_pyjwt, token)
    if fast is not None:  # what the fast check accepts, PyJWT accepts with the same claims
        assert fast == full


def test_our_own_tokens_take_the_fast_check() -> None:
    for name in ("issued by simplejwt", "signed as we sign"):
        assert outcome(bearer._ours_checked_fast, tokens()[name]) not in (None, "refused")


def test_forged_tokens_never_pass_the_fast_check() -> None:
    forged = tokens()
    for name in ("another user, same signature", "signature one character off",
                 "signed with another key", "alg none", "signature padded"):  # fmt: skip
        assert outcome(bearer._ours_checked_fast, forged[name]) is None, name
        assert outcome(bearer._checked_by_pyjwt, forged[name]) in ("refused",) or name == (
            "signature padded"  # PyJWT accepts padding some issuers add; the fast check doesn't
        )
