"""Lua scripts run straight on a connection of the client's pool (adapters/lua_script.py):
the same answers, errors and recovery as through redis-py's execute_command."""

import pytest
import redis
from django.conf import settings

from adapters.lua_script import LuaScript
from adapters.queue.connection import ThreadPinnedPool

ECHO = LuaScript("return {KEYS[1], ARGV[1], tonumber(ARGV[2]) * 2, ARGV[3]}")


@pytest.fixture
def client() -> redis.Redis:
    pool = ThreadPinnedPool.from_url(settings.TEST_REDIS_URL, socket_timeout=2, max_connections=8)
    return redis.Redis(connection_pool=pool)


def test_a_script_answers_with_its_keys_and_arguments(client: redis.Redis) -> None:
    assert ECHO(client, ["k:{1}"], ["fan", 21, 0.5]) == [b"k:{1}", b"fan", 42, b"0.5"]
    # The same call through execute_command, for comparison: the same reply.
    assert client.execute_command("EVALSHA", ECHO.sha, 1, "k:{1}", "fan", 21, 0.5) == [
        b"k:{1}",
        b"fan",
        42,
        b"0.5",
    ]


def test_a_script_redis_forgot_is_loaded_again(client: redis.Redis) -> None:
    ECHO(client, ["k"], ["a", 1, ""])
    client.script_flush()
    assert ECHO(client, ["k"], ["b", 2, ""]) == [b"k", b"b", 4, b""]


def test_an_error_reply_raises_and_leaves_the_connection_usable(client: redis.Redis) -> None:
    failing = LuaScript("return redis.error_reply('NOPE not today')")
    with pytest.raises(redis.ResponseError, match="not today"):
        failing(client, [], [])
    assert ECHO(client, ["k"], ["c", 3, ""]) == [b"k", b"c", 6, b""]


def test_a_connection_the_server_closed_fails_once_then_comes_back(
    client: redis.Redis,
) -> None:
    ECHO(client, ["k"], ["d", 1, ""])
    redis.Redis.from_url(settings.TEST_REDIS_URL).client_kill_filter(_id=int(client.client_id()))
    # As through execute_command with this pool's retry policy (no retries): one error,
    # never a wrong answer, and the next call opens a new connection.
    with pytest.raises(redis.ConnectionError):
        ECHO(client, ["k"], ["e", 1, ""])
    assert ECHO(client, ["k"], ["f", 5, ""]) == [b"k", b"f", 10, b""]


def test_an_argument_redis_cannot_take_is_refused_before_anything_is_sent(
    client: redis.Redis,
) -> None:
    for wrong in (None, True, ["a"]):
        with pytest.raises(redis.DataError):
            ECHO(client, ["k"], [wrong, 1, ""])
    assert ECHO(client, ["k"], ["g", 1, ""]) == [b"k", b"g", 2, b""]


def test_a_plain_pool_gets_its_connection_back(client: redis.Redis) -> None:
    plain = redis.Redis.from_url(settings.TEST_REDIS_URL, max_connections=1)
    for n in range(3):  # one connection in the pool: a call that kept it would block the next
        assert ECHO(plain, ["k"], ["h", n, ""]) == [b"k", b"h", 2 * n, b""]
    with pytest.raises(redis.DataError):
        ECHO(plain, ["k"], [None, 1, ""])
    assert ECHO(plain, ["k"], ["i", 4, ""]) == [b"k", b"i", 8, b""]
