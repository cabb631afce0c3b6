"""Where the fan's ticket mails go: the account's email address."""

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.http.auth import user_id_of
from apps.http.input import validated


class EmailSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField(
        max_length=254, allow_blank=True, help_text="empty: no ticket mails"
    )


class MyEmailView(APIView):
    @extend_schema(responses={200: EmailSerializer}, summary="Where my ticket mails go")
    def get(self, request: Request) -> Response:
        email = (
            get_user_model().objects.filter(pk=user_id_of(request)).values_list("email", flat=True)
        )
        return Response({"email": email.first() or ""})

    @extend_schema(
        request=EmailSerializer,
        responses={200: EmailSerializer},
        summary="Set where my ticket mails go",
    )
    def put(self, request: Request) -> Response:
        email = validated(EmailSerializer, request.data)["email"]
        get_user_model().objects.filter(pk=user_id_of(request)).update(email=email)
        return Response({"email": email})
