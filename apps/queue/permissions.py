"""`X-Access-Token` for the endpoints only admitted fans may use (holds, payments)."""

from typing import Any, Protocol

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from apps.http.auth import user_id_of
from apps.queue.wiring import access_tokens, clock, require_access
from domain.queue.access import AccessGrant
from domain.queue.model import NotAdmitted


class ScopedToSchedule(Protocol):
    def access_schedule_id(self, request: Request) -> int:
        """The schedule this request acts on, which the access token must be for."""
        ...


class HasAccessToken(BasePermission):
    """Refuses (403 not_admitted) unless the token is this fan's, for this schedule, unexpired,
    and the fan still holds an active slot; acting extends the slot."""

    def has_permission(self, request: Request, view: Any) -> bool:
        check_access_token(request, schedule_id=view.access_schedule_id(request))
        return True


class HasGenuineAccessToken(BasePermission):
    """Refuses (403 not_admitted) unless the token is genuine, this fan's, for this schedule
    and unexpired: no Redis call. The view's use case must check the slot itself (a hold
    does it in its one Redis call, with the rate limit and the seat locks)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        access_tokens().verify(
            _token_of(request),
            user_id=user_id_of(request),
            schedule_id=view.access_schedule_id(request),
            now_ms=clock().now_ms(),
        )
        return True


def _token_of(request: Request) -> str:
    token = request.headers.get("X-Access-Token")
    if not token:
        raise NotAdmitted("send the access token from the waiting room as X-Access-Token")
    return str(token)


def check_access_token(request: Request, *, schedule_id: int | None) -> AccessGrant:
    """Raises NotAdmitted unless X-Access-Token admits this fan to this schedule now (None:
    to the schedule the token names, which the caller must check)."""
    return require_access()(
        token=_token_of(request), user_id=user_id_of(request), schedule_id=schedule_id
    )
