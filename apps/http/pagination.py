"""Keyset pagination: `{results, next}`, where `next` is the URL of the following page.

The cursor is the last id seen, so a page costs one index range scan however deep it is,
and rows inserted meanwhile never shift what a client has already seen.
"""

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from rest_framework.request import Request

from apps.http.problems import InvalidRequest

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class PageRequest:
    after: int | None
    limit: int

    @property
    def cache_key(self) -> str:
        return f"{self.after or 0}:{self.limit}"


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def page_request(request: Request) -> PageRequest:
    raw_limit = request.query_params.get("limit", str(DEFAULT_LIMIT))
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise InvalidRequest({"limit": [f"Must be a whole number from 1 to {MAX_LIMIT}."]})
    cursor = request.query_params.get("cursor")
    after = None
    if cursor:
        try:
            decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            after = int(decoded)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise InvalidRequest({"cursor": ["Not a cursor this API gave out."]}) from None
    return PageRequest(after=after, limit=int(raw_limit))


def keyset_page(
    queryset: QuerySet[Any], page: PageRequest, *, descending: bool
) -> tuple[list[Any], int | None]:
    """One page of `queryset` ordered by id, and the id to continue after (None at the end)."""
    if page.after is not None:
        queryset = (
            queryset.filter(id__lt=page.after) if descending else queryset.filter(id__gt=page.after)
        )
    rows = list(queryset.order_by("-id" if descending else "id")[: page.limit + 1])
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    if not (more and rows):
        return rows, None
    last = rows[-1]
    return rows, (last["id"] if isinstance(last, dict) else last.id)


def next_url(request: Request, last_id: int | None) -> str | None:
    if last_id is None:
        return None
    params = request.query_params.copy()
    params["cursor"] = encode_cursor(last_id)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


def paginated(request: Request, results: list[Any], last_id: int | None) -> dict[str, Any]:
    return {"results": results, "next": next_url(request, last_id)}
