"""Sign-up, JWT tokens and the fan's wallet (the reference: /api/docs/)."""

from typing import Any

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken

from apps.http.auth import user_id_of
from apps.http.bearer import TokenInvalid
from apps.http.input import validated
from apps.http.pagination import keyset_page, page_request, paginated
from apps.http.problems import InvalidRequest
from apps.user.api.throttles import PerAddress, PerUsername
from apps.user.models import LedgerEntryRecord, WalletRecord
from apps.user.wiring import charge_wallet, register_fan
from domain.errors import Unauthenticated
from domain.user.model import MAX_CHARGE, MIN_CHARGE


class BadCredentials(Unauthenticated):
    code = "bad_credentials"
    title = "Wrong username or password"


class SignUpView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [PerAddress, PerUsername]

    class InputSerializer(serializers.Serializer[Any]):
        username = serializers.RegexField(r"^[\w.@+-]+\Z", min_length=3, max_length=150)
        password = serializers.CharField(min_length=8, max_length=128, trim_whitespace=False)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            try:
                validate_password(attrs["password"])
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"password": list(exc.messages)}) from None
            return attrs

    class OutputSerializer(serializers.Serializer[Any]):
        id = serializers.IntegerField()
        username = serializers.CharField()

    @extend_schema(
        request=InputSerializer, responses={201: OutputSerializer}, summary="Sign up", auth=[]
    )
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        user_id = register_fan()(username=data["username"], password=data["password"])
        return Response({"id": user_id, "username": data["username"]}, status=201)


class TokenView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [PerAddress, PerUsername]

    class InputSerializer(serializers.Serializer[Any]):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    class OutputSerializer(serializers.Serializer[Any]):
        access = serializers.CharField()
        refresh = serializers.CharField()

    @extend_schema(
        request=InputSerializer, responses={200: OutputSerializer}, summary="Get a JWT", auth=[]
    )
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        user = authenticate(request, username=data["username"], password=data["password"])
        if user is None or not user.is_active:
            raise BadCredentials("no active account with this username and password")
        refresh = RefreshToken.for_user(user)
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)})


class TokenRefreshView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [PerAddress]

    class InputSerializer(serializers.Serializer[Any]):
        refresh = serializers.CharField(max_length=2048)

    class OutputSerializer(serializers.Serializer[Any]):
        access = serializers.CharField()
        refresh = serializers.CharField(help_text="a new refresh token: the one sent is used up")

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer},
        summary="Refresh a JWT (the refresh token rotates)",
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        try:
            token = RefreshToken(data["refresh"])  # signature and expiry
            user_id = int(token[api_settings.USER_ID_CLAIM])
        except (TokenError, KeyError, TypeError, ValueError) as exc:
            raise TokenInvalid(str(exc)) from None
        # A deleted or deactivated account refreshes nothing (and a deleted one is no 500).
        if not get_user_model().objects.filter(pk=user_id, is_active=True).exists():
            raise TokenInvalid("no active account for this token")
        serializer = TokenRefreshSerializer(data=data)
        try:
            serializer.is_valid(raise_exception=True)  # the blacklist, then the rotation
        except TokenError as exc:
            raise TokenInvalid(str(exc)) from None
        return Response(
            {
                "access": serializer.validated_data["access"],
                "refresh": serializer.validated_data["refresh"],
            }
        )


class WalletView(APIView):
    class OutputSerializer(serializers.Serializer[Any]):
        balance = serializers.IntegerField()

    @extend_schema(responses={200: OutputSerializer}, summary="My wallet balance")
    def get(self, request: Request) -> Response:
        wallet, _ = WalletRecord.objects.get_or_create(user_id=user_id_of(request))
        return Response({"balance": wallet.balance})


class ChargesView(APIView):
    class InputSerializer(serializers.Serializer[Any]):
        amount = serializers.IntegerField(min_value=MIN_CHARGE, max_value=MAX_CHARGE)

    class OutputSerializer(serializers.Serializer[Any]):
        balance = serializers.IntegerField()
        transaction_id = serializers.IntegerField()

    @extend_schema(
        request=InputSerializer, responses={201: OutputSerializer}, summary="Charge points"
    )
    def post(self, request: Request) -> Response:
        amount = request.data.get("amount") if isinstance(request.data, dict) else None
        if isinstance(amount, bool) or not isinstance(amount, int):
            # "100" or 1.5 are not amounts: money is a JSON integer, never coerced.
            raise InvalidRequest(
                {"amount": ["A whole number of points is required."]}, code="invalid_amount"
            )
        data = validated(self.InputSerializer, request.data, code="invalid_amount")
        entry = charge_wallet()(
            user_id=user_id_of(request), amount=data["amount"], reference="api charge"
        )
        return Response({"balance": entry.balance_after, "transaction_id": entry.id}, status=201)


class TransactionsView(APIView):
    class OutputSerializer(serializers.Serializer[Any]):
        class EntrySerializer(serializers.Serializer[Any]):
            id = serializers.IntegerField()
            kind = serializers.ChoiceField(choices=["charge", "payment", "refund"])
            amount = serializers.IntegerField()
            balance_after = serializers.IntegerField()
            created_at = serializers.DateTimeField()
            reference = serializers.CharField()

        results = EntrySerializer(many=True)
        next = serializers.URLField(allow_null=True)

    @extend_schema(responses={200: OutputSerializer}, summary="My wallet transactions")
    def get(self, request: Request) -> Response:
        page = page_request(request)
        rows, last_id = keyset_page(
            LedgerEntryRecord.objects.filter(user_id=user_id_of(request)), page, descending=True
        )
        results = self.OutputSerializer.EntrySerializer(rows, many=True).data
        return Response(paginated(request, list(results), last_id))
