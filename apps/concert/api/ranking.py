from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.concert.api.views import PublicView
from apps.concert.models import ConcertRecord
from apps.concert.wiring import ranking
from apps.http.problems import InvalidRequest


class RankingView(PublicView):
    class OutputSerializer(serializers.Serializer[Any]):
        class EntrySerializer(serializers.Serializer[Any]):
            concert_id = serializers.IntegerField()
            title = serializers.CharField()
            tickets_sold = serializers.IntegerField()
            sold_out_seconds = serializers.FloatField(allow_null=True)

        results = EntrySerializer(many=True)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": 100},
                description="1..100, default 10",
            )
        ],
        responses={200: OutputSerializer},
        summary="Concerts by tickets sold",
        auth=[],
    )
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("limit", "10")
        if not raw.isdigit() or not 1 <= int(raw) <= 100:
            raise InvalidRequest({"limit": ["Must be a whole number from 1 to 100."]})
        top = ranking().top(int(raw))
        titles = dict(
            ConcertRecord.objects.filter(id__in=[c for c, _, _ in top]).values_list("id", "title")
        )
        return Response(
            {
                "results": [
                    {
                        "concert_id": concert,
                        "title": titles.get(concert, ""),
                        "tickets_sold": tickets,
                        "sold_out_seconds": seconds,
                    }
                    for concert, tickets, seconds in top
                ]
            }
        )
