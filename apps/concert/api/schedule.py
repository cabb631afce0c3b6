from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.concert import catalog
from apps.concert.api.views import PublicView, ScheduleSerializer


class ScheduleDetailView(PublicView):
    """One schedule on its own: what a client that knows only the schedule id (the waiting
    room, the seat map, a reservation) shows about the show."""

    class OutputSerializer(ScheduleSerializer):
        class ConcertSummarySerializer(serializers.Serializer[Any]):
            id = serializers.IntegerField()
            title = serializers.CharField()
            artist = serializers.CharField()
            venue = serializers.CharField()

        concert = ConcertSummarySerializer()
        max_seats_per_fan = serializers.IntegerField(help_text="seats one fan may hold or buy")
        refundable_until = serializers.DateTimeField(
            help_text="a purchase is refunded on cancellation until then"
        )

    @extend_schema(responses={200: OutputSerializer}, summary="A schedule and its concert", auth=[])
    def get(self, request: Request, schedule_id: int) -> Response:
        return Response(catalog.schedule_detail(schedule_id))
