"""OpenAPI for the waiting-room endpoints, which are plain Django views (see views.py).

A drf-spectacular postprocessing hook adds them to the generated document, so /api/docs/
shows them next to the DRF endpoints.
"""

from typing import Any

from apps.http.schema import PROBLEM
from apps.http.schema import problem as _problem

PLACE = {
    "type": "object",
    "required": ["status", "position", "eta_seconds", "queue_token"],
    "properties": {
        "status": {"type": "string", "enum": ["pre_queue", "waiting", "admitted"]},
        "position": {"type": "integer", "description": "1 is next; 0 once admitted"},
        "eta_seconds": {
            "type": "integer",
            "description": "from the measured admission rate; in the pre-queue, until opening",
        },
        "queue_token": {
            "type": "string",
            "nullable": True,
            "description": "signed receipt of the place (entry number)",
        },
        "opens_at": {
            "type": "string",
            "format": "date-time",
            "description": "only in the pre-queue",
        },
        "access_token": {
            "type": "string",
            "description": "only when admitted; send as X-Access-Token",
        },
        "access_expires_at": {"type": "string", "format": "date-time"},
        "entry_number": {
            "type": "integer",
            "nullable": True,
            "description": "the place in line; null in the pre-queue (set at opening) and "
            "once admitted. Claim (GET .../queue) as soon as the public state's `serving` "
            "reaches it",
        },
        "heartbeat_seconds": {
            "type": "integer",
            "description": "call GET .../queue this often to keep the place; a fan silent for "
            "about three heartbeats loses it",
        },
    },
}

STATE = {
    "type": "object",
    "required": [
        "schedule_id",
        "phase",
        "serving",
        "waiting",
        "admitted_per_second",
        "opens_at",
        "as_of",
        "seats_available",
        "sold_out",
    ],
    "properties": {
        "schedule_id": {"type": "integer"},
        "phase": {"type": "string", "enum": ["pre_queue", "open", "paused", "closed"]},
        "serving": {
            "type": "integer",
            "description": "every fan whose entry number is at or below it has been admitted "
            "or has lost the place",
        },
        "waiting": {"type": "integer", "description": "fans in line still sending heartbeats"},
        "admitted_per_second": {"type": "number", "description": "measured, over about a minute"},
        "opens_at": {"type": "string", "format": "date-time"},
        "as_of": {"type": "string", "format": "date-time"},
        "seats_available": {
            "type": "integer",
            "nullable": True,
            "description": "seats free to hold now (null until first counted); fans are "
            "admitted only while there is a seat left for each admitted fan who has not held "
            "yet. 0 with `sold_out` false: every seat is held, and a hold that lapses gives "
            "its seats back to the line",
        },
        "sold_out": {
            "type": "boolean",
            "description": "every seat is sold: nobody else will be admitted (unless a "
            "purchase is refunded)",
        },
    },
}


def _place(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/QueuePlace"}}},
    }


def _operation(operation_id: str, summary: str, responses: dict[str, Any]) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        "tags": ["waiting room"],
        "parameters": [
            {"in": "path", "name": "schedule_id", "required": True, "schema": {"type": "integer"}}
        ],
        "security": [{"jwtAuth": []}],
        "responses": {
            **responses,
            "401": _problem("not_authenticated / token_invalid"),
            "503": _problem("queue_unavailable (Redis down), with Retry-After"),
        },
    }


def _with_receipt(operation: dict[str, Any]) -> dict[str, Any]:
    operation["parameters"].append(
        {
            "in": "header",
            "name": "X-Queue-Token",
            "description": "the `queue_token` of the fan's last answer: a fan still waiting "
            "far from the front is then answered from the line's state, without a Redis "
            "call, and the heartbeat is recorded within about a second",
            "schema": {"type": "string"},
        }
    )
    return operation


def add_queue_paths(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {}).update(
        {"QueuePlace": PLACE, "QueueState": STATE, "Problem": PROBLEM}
    )
    result["paths"]["/api/v1/schedules/{schedule_id}/queue/state"] = {
        "get": {
            "operationId": "queue_state",
            "summary": "How far the line has moved (public, the same for every fan, cacheable)",
            "description": "Sent with `Cache-Control: public, max-age=1` and an ETag; a "
            "request with a current `If-None-Match` gets a 304. nginx or a CDN answers most "
            "requests from its copy.",
            "tags": ["waiting room"],
            "parameters": [
                {
                    "in": "path",
                    "name": "schedule_id",
                    "required": True,
                    "schema": {"type": "integer"},
                },
                {"in": "header", "name": "If-None-Match", "schema": {"type": "string"}},
            ],
            "security": [],
            "responses": {
                "200": {
                    "description": "the state",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/QueueState"}}
                    },
                },
                "304": {"description": "the copy the client has is current"},
                "404": _problem("not_found: no such schedule"),
                "503": _problem("queue_unavailable (Redis down), with Retry-After"),
            },
        }
    }
    result.setdefault("paths", {})["/api/v1/schedules/{schedule_id}/queue"] = {
        "post": _operation(
            "queue_enter",
            "Enter the waiting room (or get the same place again)",
            {
                "201": _place("entered"),
                "200": _place("already in: the same place"),
                "404": _problem("not_found: no such schedule"),
                "409": _problem("sale_closed"),
                "429": _problem("rate_limited, with Retry-After"),
            },
        ),
        "get": _with_receipt(
            _operation(
                "queue_place",
                "My place in the waiting room: the heartbeat, and the claim once served",
                {
                    "200": _place("the place; status pre_queue before the sale opens"),
                    "400": _problem("invalid_queue_token: not this fan's for this schedule"),
                    "404": _problem("not_in_queue"),
                    "409": _problem("sale_closed: the sale closed before the fan was admitted"),
                },
            )
        ),
        "delete": _operation(
            "queue_leave",
            "Leave the queue or give the active slot back",
            {
                "204": {"description": "left"},
            },
        ),
    }
    return result
