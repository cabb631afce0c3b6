"""Paying for a hold with points (docs/BOOKING.md, "Pay")."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.http.auth import user_id_of
from apps.http.bearer import CachedBearerAuthentication
from apps.http.input import validated
from apps.payment.idempotency import refusal, replay
from apps.payment.wiring import idempotency_store, pay_for_reservation
from apps.queue.permissions import check_access_token
from domain.errors import DomainError
from domain.payment.model import (
    IdempotencyClaim,
    PaymentReceipt,
    StoredAnswer,
    checked_idempotency_key,
    fingerprint,
)


class PaymentsView(APIView):
    """A purchase's second request: one Redis call for the access token, one transaction
    that also writes the key's answer (apps/payment/idempotency.py)."""

    authentication_classes = [CachedBearerAuthentication]

    class InputSerializer(serializers.Serializer[Any]):
        reservation_id = serializers.IntegerField(min_value=1)

    class OutputSerializer(serializers.Serializer[Any]):
        id = serializers.IntegerField()
        reservation_id = serializers.IntegerField()
        status = serializers.CharField(help_text="succeeded")
        amount = serializers.IntegerField()
        balance_after = serializers.IntegerField()

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
        claim = IdempotencyClaim(user_id_of(request), key, fingerprint(data))
        try:
            # The schedule comes from the token; the payment's own statement checks that the
            # reservation is of that schedule, so no lookup comes first.
            grant = check_access_token(request, schedule_id=None)
            outcome = pay_for_reservation()(
                claim=claim,
                reservation_id=data["reservation_id"],
                schedule_id=grant.schedule_id,
                render=payment_answer,
            )
        except DomainError as exc:
            return refusal(idempotency_store(), claim, exc)
        if isinstance(outcome, StoredAnswer):
            return replay(outcome)
        answer = payment_answer(outcome)
        return Response(answer.body, status=answer.status)


def payment_answer(receipt: PaymentReceipt) -> StoredAnswer:
    return StoredAnswer(
        201,
        {
            "id": receipt.id,
            "reservation_id": receipt.reservation_id,
            "status": receipt.status.value,
            "amount": receipt.amount,
            "balance_after": receipt.balance_after,
        },
    )
