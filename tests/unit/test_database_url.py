"""DATABASE_URL takes the credentials, TLS and driver options (dj-database-url)."""

import pytest

from config.env import database_from_url


def test_credentials_host_and_port() -> None:
    db = database_from_url("mysql://tick%40et:p%2Fss@db.internal:3307/sales")
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "tick@et", "p/ss", "db.internal", "3307", "sales",
    )  # fmt: skip
    assert db["ENGINE"] == "django.db.backends.mysql" and db["OPTIONS"] == {}


def test_tls_and_driver_options_reach_the_driver() -> None:
    db = database_from_url("mariadb://u:p@db/sales?ssl_mode=VERIFY_IDENTITY&ssl-ca=/run/ca.pem")
    assert db["OPTIONS"] == {"ssl_mode": "VERIFY_IDENTITY", "ssl": {"ca": "/run/ca.pem"}}
    assert db["PORT"] == "3306"


def test_other_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="mysql://"):
        database_from_url("postgres://u:p@h/n")
