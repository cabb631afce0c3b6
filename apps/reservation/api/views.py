"""Seat holds and reservations (docs/BOOKING.md)."""

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from adapters.reservation.orm import reservation_from_record
from apps.http.auth import user_id_of
from apps.http.bearer import CachedBearerAuthentication
from apps.http.input import validated
from apps.http.pagination import keyset_page, page_request, paginated
from apps.queue.permissions import HasGenuineAccessToken
from apps.reservation.models import ReservationRecord
from apps.reservation.wiring import cancel_reservation, hold_seats
from domain.reservation.model import FanGate, Reservation, ReservationNotFound, ReservationStatus

ACCESS_TOKEN = OpenApiParameter(
    "X-Access-Token",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="from the waiting room, once admitted",
)


class ReservationSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=[s.value for s in ReservationStatus])
    schedule_id = serializers.IntegerField()
    seat_ids = serializers.ListField(child=serializers.IntegerField())
    amount = serializers.IntegerField()
    expires_at = serializers.DateTimeField()
    payment_id = serializers.IntegerField(allow_null=True)


def reservation_body(reservation: Reservation) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "id": reservation.id,
        "status": reservation.status_at(now).value,
        "schedule_id": reservation.schedule_id,
        "seat_ids": list(reservation.seat_ids),
        "amount": reservation.amount,
        "expires_at": reservation.expires_at,
        "payment_id": reservation.payment_id,
    }


def record_body(record: ReservationRecord) -> dict[str, Any]:
    return reservation_body(reservation_from_record(record))


class HoldInput(serializers.Serializer[Any]):
    schedule_id = serializers.IntegerField(min_value=1)
    seat_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=50
    )


def _hold_input(request: Request) -> dict[str, Any]:
    """Validated once per request: the access-token permission needs the schedule before
    the view runs."""
    cached: dict[str, Any] | None = getattr(request, "_hold_input", None)
    if cached is None:
        cached = validated(HoldInput, request.data)
        setattr(request, "_hold_input", cached)  # noqa: B010 (Request has no such field)
    return cached


class ReservationsView(APIView):
    authentication_classes = [CachedBearerAuthentication]
    # Signed in first: an anonymous caller gets 401, not the access token's 403.
    permission_classes = [IsAuthenticated, HasGenuineAccessToken]

    def access_schedule_id(self, request: Request) -> int:
        return int(_hold_input(request)["schedule_id"])

    @extend_schema(
        request=HoldInput,
        responses={201: ReservationSerializer},
        parameters=[ACCESS_TOKEN],
        summary="Hold seats (all or nothing)",
    )
    def post(self, request: Request) -> Response:
        data = _hold_input(request)
        reservation = hold_seats()(
            user_id=user_id_of(request),
            schedule_id=data["schedule_id"],
            seat_ids=data["seat_ids"],
            gate=FanGate(rate=settings.HOLD_RATE_PER_USER, burst=settings.HOLD_BURST_PER_USER),
        )
        return Response(reservation_body(reservation), status=201)


class ReservationDetailView(APIView):
    authentication_classes = [CachedBearerAuthentication]

    class CancelOutput(ReservationSerializer):
        refund = serializers.IntegerField(help_text="points refunded (0 for a released hold)")

    @extend_schema(responses={200: ReservationSerializer}, summary="A reservation of mine")
    def get(self, request: Request, reservation_id: int) -> Response:
        record = ReservationRecord.objects.filter(
            id=reservation_id, user_id=user_id_of(request)
        ).first()
        if record is None:
            raise ReservationNotFound(f"there is no reservation {reservation_id}")
        return Response(record_body(record))

    @extend_schema(
        responses={200: CancelOutput},
        summary="Cancel: release a hold, or refund a paid reservation",
    )
    def delete(self, request: Request, reservation_id: int) -> Response:
        cancelled = cancel_reservation()(reservation_id=reservation_id, user_id=user_id_of(request))
        return Response({**reservation_body(cancelled.reservation), "refund": cancelled.refunded})


class MyReservationsView(APIView):
    authentication_classes = [CachedBearerAuthentication]

    class OutputSerializer(serializers.Serializer[Any]):
        results = ReservationSerializer(many=True)
        next = serializers.URLField(allow_null=True)

    @extend_schema(responses={200: OutputSerializer}, summary="My reservations, newest first")
    def get(self, request: Request) -> Response:
        page = page_request(request)
        rows, last_id = keyset_page(
            ReservationRecord.objects.filter(user_id=user_id_of(request)), page, descending=True
        )
        return Response(paginated(request, [record_body(r) for r in rows], last_id))
