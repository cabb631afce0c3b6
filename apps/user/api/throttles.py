"""Limits on sign-up, sign-in and token refresh: each costs a password hash or a token
check, so without them passwords could be guessed online, workers exhausted cheaply and
usernames enumerated. Counted in the shared Redis cache (DRF's throttle), per client
address and per username, answered 429 `rate_limited` with Retry-After. If the cache is
down the limit is skipped: signing in must not fail because a counter cannot be read."""

import logging
from typing import Any

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from apps.http.client_address import client_address

logger = logging.getLogger(__name__)


class _AuthThrottle(SimpleRateThrottle):
    def get_rate(self) -> str:
        return str(settings.AUTH_THROTTLE_RATES[str(self.scope)])

    def allow_request(self, request: Request, view: Any) -> bool:
        # The rate is read per request (not once at import), so a deployment can change it.
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except RedisError as exc:
            logger.warning("sign-in limits skipped, cache unavailable: %s", exc)
            return True


class PerAddress(_AuthThrottle):
    scope = "auth_address"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


class PerUsername(_AuthThrottle):
    """Whoever asks: a guesser spread over many addresses still gets few tries a name."""

    scope = "auth_username"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        data = request.data
        username = data.get("username") if hasattr(data, "get") else None
        if not isinstance(username, str) or not username:
            return None  # nothing to count by: the input check answers
        return self.cache_format % {"scope": self.scope, "ident": username.lower()[:150]}
