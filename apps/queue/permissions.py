"""`X-Access-Token` for the endpoints only admitted fans may use (holds, payments)."""

from typing import Any, Protocol

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from apps.http.auth import user_id_of
from apps.queue.wiring import require_access
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


def check_access_token(request: Request, *, schedule_id: int) -> None:
    """Raises NotAdmitted unless X-Access-Token admits this fan to this schedule now."""
    token = request.headers.get("X-Access-Token")
    if not token:
        raise NotAdmitted("send the access token from the waiting room as X-Access-Token")
    require_access()(token=token, user_id=user_id_of(request), schedule_id=schedule_id)
