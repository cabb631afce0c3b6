"""MariaDB goes away in the middle of a sale, as during a restart: every connection dropped,
new ones refused for a while, then back. Fans get 503 with Retry-After meanwhile (never a
500), and afterwards no seat is sold twice and no point is lost (reconcile)."""

import time
from collections.abc import Callable, Iterator

import pytest
from django.db import connection, connections

from apps.concert.models import ScheduleRecord
from tests.conftest import AdmittedFan
from tests.faults.sale import assert_a_sale_survives
from tests.faults.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.faults]


@pytest.fixture
def database_behind_a_proxy() -> Iterator[TcpProxy]:
    """New connections of this process go through the proxy."""
    settings_dict = connections["default"].settings_dict
    proxy = TcpProxy(int(settings_dict["PORT"] or 3306))
    original = (settings_dict["HOST"], settings_dict["PORT"])
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", str(proxy.port)
    yield proxy
    proxy.heal()
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = original
    proxy.close()


def test_a_sale_goes_on_through_a_database_restart(
    make_schedule: Callable[..., ScheduleRecord],
    admit: Callable[..., AdmittedFan],
    database_behind_a_proxy: TcpProxy,
) -> None:
    schedule = make_schedule(seats=40, max_active=50)

    def fault() -> None:
        time.sleep(1.5)
        database_behind_a_proxy.cut()
        time.sleep(2)  # restarting
        database_behind_a_proxy.heal()

    assert_a_sale_survives(fault, schedule=schedule, fans=[admit(schedule) for _ in range(8)])
