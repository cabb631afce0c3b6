"""OpenAPI naming for views that nest their own InputSerializer and OutputSerializer."""

import re
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema


class NestedSerializerSchema(AutoSchema):
    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        # SignUpView.OutputSerializer → SignUpOutputSerializer: every view has an
        # "OutputSerializer", so the class name alone would collide.
        parts = type(serializer).__qualname__.split(".")
        return "".join(part.removesuffix("View").removesuffix("Serializer") for part in parts)

    def get_operation_id(self) -> str:
        name = type(self.view).__name__.removesuffix("View")
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
        return f"{snake}_{self.method.lower()}"


class CachedBearerScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """The booking endpoints take the same bearer JWT (apps.http.bearer)."""

    target_class = "apps.http.bearer.CachedBearerAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
