"""Validating request input with a serializer, failing with the endpoint's own error code."""

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from apps.http.problems import InvalidRequest


def validated(
    serializer_class: type[serializers.Serializer[Any]],
    data: Any,
    *,
    code: str = "invalid",
) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise InvalidRequest({"non_field_errors": ["Expected a JSON object."]}, code=code)
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise InvalidRequest(serializer.errors, code=code)
    return dict(serializer.validated_data)
