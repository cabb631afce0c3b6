"""Paying for a hold with points (API.md "Reservations and payments")."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.http.auth import user_id_of
from apps.http.bearer import CachedBearerAuthentication
from apps.http.input import validated
from apps.payment.idempotency import idempotent
from apps.queue.permissions import check_access_token
from apps.reservation.models import ReservationRecord
from apps.reservation.wiring import idempotency_store, pay_for_reservation
from domain.payment.model import checked_idempotency_key
from domain.reservation.model import ReservationNotFound


class PaymentsView(APIView):
    """The access token is checked inside the idempotent part: a retry of a payment that
    already succeeded (and so gave the waiting-room slot back) still gets its stored
    answer instead of 403."""

    authentication_classes = [CachedBearerAuthentication]

    class InputSerializer(serializers.Serializer[Any]):
        reservation_id = serializers.IntegerField(min_value=1)

    class OutputSerializer(serializers.Serializer[Any]):
        id = serializers.IntegerField()
        reservation_id = serializers.IntegerField()
        status = serializers.CharField(help_text="succeeded")
        amount = serializers.IntegerField()
        balance_after = serializers.IntegerField()

    @staticmethod
    def _schedule_of(*, reservation_id: int, user_id: int) -> int:
        """The schedule the access token must be for: the fan's reservation's."""
        schedule_id = (
            ReservationRecord.objects.filter(id=reservation_id, user_id=user_id)
            .values_list("schedule_id", flat=True)
            .first()
        )
        if schedule_id is None:
            raise ReservationNotFound(f"there is no reservation {reservation_id}")
        return int(schedule_id)

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer},
        parameters=[
            OpenApiParameter("X-Access-Token", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter(
                "Idempotency-Key",
                # Not blank: at least one character that is not white space.
                {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"\S"},
                OpenApiParameter.HEADER,
                required=True,
                description="at most 255 characters; a replay returns the stored response",
            ),
        ],
        summary="Pay for a hold with points",
    )
    def post(self, request: Request) -> Response:
        key = checked_idempotency_key(request.headers.get("Idempotency-Key"))
        data = validated(self.InputSerializer, request.data)
        user_id = user_id_of(request)
        schedule_id = self._schedule_of(reservation_id=data["reservation_id"], user_id=user_id)

        def pay() -> Response:
            check_access_token(request, schedule_id=schedule_id)
            receipt = pay_for_reservation()(
                user_id=user_id, reservation_id=data["reservation_id"], schedule_id=schedule_id
            )
            return Response(
                {
                    "id": receipt.id,
                    "reservation_id": receipt.reservation_id,
                    "status": receipt.status.value,
                    "amount": receipt.amount,
                    "balance_after": receipt.balance_after,
                },
                status=201,
            )

        return idempotent(
            store=idempotency_store(), user_id=user_id, key=key, request_body=data, run=pay
        )
