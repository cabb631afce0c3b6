"""The public catalog (docs/BOOKING.md, "Seat map"). Answers come from the Redis cache on a hit."""

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.concert import catalog
from apps.http.conditional import client_has, shared_cache
from apps.http.pagination import page_request, paginated
from domain.concert.model import SalePhase, SeatStatus


class ScheduleSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    sale_opens_at = serializers.DateTimeField()
    sale_closes_at = serializers.DateTimeField()
    sale_status = serializers.ChoiceField(choices=[p.value for p in SalePhase])
    seats_total = serializers.IntegerField()
    seats_available = serializers.IntegerField()


class PublicView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


class ConcertListView(PublicView):
    class OutputSerializer(serializers.Serializer[Any]):
        class ConcertSerializer(serializers.Serializer[Any]):
            id = serializers.IntegerField()
            title = serializers.CharField()
            artist = serializers.CharField()
            venue = serializers.CharField()
            first_show_at = serializers.DateTimeField(allow_null=True)

        results = ConcertSerializer(many=True)
        next = serializers.URLField(allow_null=True)

    @extend_schema(responses={200: OutputSerializer}, summary="List concerts", auth=[])
    def get(self, request: Request) -> Response:
        page = catalog.concert_page(page_request(request))
        return Response(paginated(request, page["results"], page["last_id"]))


class ConcertDetailView(PublicView):
    class OutputSerializer(serializers.Serializer[Any]):
        id = serializers.IntegerField()
        title = serializers.CharField()
        artist = serializers.CharField()
        venue = serializers.CharField()
        description = serializers.CharField()
        first_show_at = serializers.DateTimeField(allow_null=True)
        schedules = ScheduleSerializer(many=True)

    @extend_schema(
        responses={200: OutputSerializer}, summary="A concert and its schedules", auth=[]
    )
    def get(self, request: Request, concert_id: int) -> Response:
        return Response(catalog.concert_detail(concert_id))


class ConcertSchedulesView(PublicView):
    class OutputSerializer(serializers.Serializer[Any]):
        results = ScheduleSerializer(many=True)

    @extend_schema(
        responses={200: OutputSerializer}, summary="Bookable schedules of a concert", auth=[]
    )
    def get(self, request: Request, concert_id: int) -> Response:
        return Response({"results": catalog.bookable_schedules(concert_id)})


class SeatMapView(PublicView):
    class OutputSerializer(serializers.Serializer[Any]):
        class SeatSerializer(serializers.Serializer[Any]):
            id = serializers.IntegerField()
            section = serializers.CharField()
            row = serializers.CharField()
            number = serializers.IntegerField()
            grade = serializers.CharField()
            price = serializers.IntegerField()
            status = serializers.ChoiceField(choices=[s.value for s in SeatStatus])

        schedule_id = serializers.IntegerField()
        seats = SeatSerializer(many=True)
        statuses = serializers.CharField(
            help_text="the seats' statuses again, one letter a seat in this order: a, h or s"
        )

    @extend_schema(
        responses={200: OutputSerializer, 304: None},
        summary="Seat map of a schedule (ETag; 304 on If-None-Match)",
        auth=[],
    )
    def get(self, request: Request, schedule_id: int) -> HttpResponse:
        # Every fan of a sale reads the same map: a shared cache answers them all for a
        # second (nginx in `make serve`, a CDN in production), and may serve the last copy
        # for a few seconds if we fail.
        max_age = settings.SEAT_MAP_MAX_AGE_SECONDS
        cache_control = shared_cache(max_age) if max_age > 0 else "no-cache"
        return seat_map_response(request, catalog.seat_map_answer(schedule_id), cache_control)


def seat_map_response(
    request: Request, answer: catalog.SeatMapAnswer, cache_control: str
) -> HttpResponse:
    if answer.etag and client_has(request, answer.etag):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(answer.body, content_type="application/json")
    if answer.etag:
        response["ETag"] = answer.etag
    response["Cache-Control"] = cache_control
    return response


class SeatStatusesView(PublicView):
    class OutputSerializer(serializers.Serializer[Any]):
        schedule_id = serializers.IntegerField()
        statuses = serializers.CharField(
            help_text="one letter a seat, in the order of the seat map's `seats`: a "
            "(available), h (held) or s (sold)"
        )

    @extend_schema(
        responses={200: OutputSerializer, 304: None},
        summary="Seat statuses alone, a letter a seat in the seat map's order (the map's "
        "ETag; 304 on If-None-Match)",
        auth=[],
    )
    def get(self, request: Request, schedule_id: int) -> HttpResponse:
        # Asked for right after a 409, to pick another seat: a copy a second old would send
        # the fan after seats already gone (measured in the flash-sale bench: a third more
        # 409s), so every read asks; a 304 is cheap.
        return seat_map_response(request, catalog.seat_statuses_answer(schedule_id), "no-cache")
