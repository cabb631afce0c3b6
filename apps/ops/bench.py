from django.http import HttpRequest, JsonResponse


def reference_view(request: HttpRequest) -> JsonResponse:
    """The cheapest useful Django answer: the ceiling that hot endpoints are measured against."""
    return JsonResponse({"ok": True})
