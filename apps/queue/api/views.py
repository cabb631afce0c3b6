"""The waiting room (API.md "Waiting room"): one Redis round trip per call and no SQL.

The JWT is verified without loading the user (JWTStatelessUserAuthentication), and the
schedule's settings are read from Redis inside the same script.
"""

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication

from apps.http.auth import user_id_of
from apps.queue.wiring import check_place, enter_queue, waiting_room
from domain.queue.model import PlaceState
from domain.queue.usecases import QueueAnswer


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")


def client_ip(request: Request) -> str:
    value = request.META.get(settings.QUEUE_CLIENT_IP_HEADER) or request.META.get("REMOTE_ADDR")
    return str(value or "unknown").split(",")[0].strip()[:64]


def answer_body(answer: QueueAnswer, *, now_ms: int) -> dict[str, Any]:
    place = answer.place
    body: dict[str, Any] = {
        "status": place.state.value,
        "position": place.position,
        "eta_seconds": place.eta_seconds,
        "queue_token": answer.queue_token,
    }
    if place.state is PlaceState.PRE_QUEUE:
        body["opens_at"] = _iso(place.opens_at_ms)
        body["eta_seconds"] = max(0, -(-(place.opens_at_ms - now_ms) // 1000))
    if answer.access_token and answer.access_expires_ms:
        body["access_token"] = answer.access_token
        body["access_expires_at"] = _iso(answer.access_expires_ms)
    return body


class QueueView(APIView):
    authentication_classes = [JWTStatelessUserAuthentication]

    class OutputSerializer(serializers.Serializer[Any]):
        status = serializers.ChoiceField(choices=[s.value for s in PlaceState])
        position = serializers.IntegerField(help_text="1 is next; 0 once admitted")
        eta_seconds = serializers.IntegerField(help_text="from the measured admission rate")
        queue_token = serializers.CharField(allow_null=True)
        opens_at = serializers.DateTimeField(required=False, help_text="only in the pre-queue")
        access_token = serializers.CharField(required=False, help_text="only when admitted")
        access_expires_at = serializers.DateTimeField(required=False)

    @extend_schema(
        request=None,
        responses={200: OutputSerializer, 201: OutputSerializer},
        summary="Enter the waiting room (or get the same place again)",
    )
    def post(self, request: Request, schedule_id: int) -> Response:
        answer = enter_queue()(
            schedule_id=schedule_id, user_id=user_id_of(request), client_ip=client_ip(request)
        )
        body = answer_body(answer, now_ms=waiting_room_now())
        return Response(body, status=201 if answer.place.created else 200)

    @extend_schema(responses={200: OutputSerializer}, summary="My place in the waiting room")
    def get(self, request: Request, schedule_id: int) -> Response:
        answer = check_place()(schedule_id=schedule_id, user_id=user_id_of(request))
        return Response(answer_body(answer, now_ms=waiting_room_now()))

    @extend_schema(
        request=None, responses={204: None}, summary="Leave the queue or give the slot back"
    )
    def delete(self, request: Request, schedule_id: int) -> Response:
        waiting_room().leave(schedule_id=schedule_id, user_id=user_id_of(request))
        return Response(status=204)


def waiting_room_now() -> int:
    from apps.queue.wiring import clock

    return clock().now_ms()
