"""Running a Lua script in Redis by its SHA, reloading it after NOSCRIPT (a Redis restart or
SCRIPT FLUSH). One EVALSHA per call.

On a single Redis server the command goes straight onto a connection of the client's pool
and its reply is read back, with nothing else around the round trip: redis-py's
`execute_command` adds a retry wrapper, per-command observability hooks and its command
dispatch and an argument-by-argument pass before hiredis packs the command, which
together cost 15-20 µs of the 50-60 µs a script call took the client; its `evalsha()`
inspects its arguments on every call besides (docs/PERFORMANCE.md). A Redis Cluster client
(which routes by key) and a pipeline go through `execute_command`.
"""

from collections.abc import Sequence
from hashlib import sha1
from typing import Any

import hiredis
import redis
import redis.exceptions
from redis.client import Pipeline


class LuaScript:
    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = sha1(source.encode()).hexdigest()

    def __call__(self, client: Any, keys: Sequence[str], args: Sequence[Any]) -> Any:
        command = ("EVALSHA", self.sha, len(keys), *keys, *args)
        try:
            return run_command(client, command)
        except redis.exceptions.NoScriptError:
            client.script_load(self.source)
            return run_command(client, command)


def run_command(client: Any, command: tuple[Any, ...]) -> Any:
    """The command's reply, or redis-py's exception for an error reply or a connection
    that failed again after the client's retries."""
    if (
        not isinstance(client, redis.Redis)
        or isinstance(client, Pipeline)
        or client.connection is not None  # a single-connection client: its lock is needed
    ):
        return client.execute_command(*command)
    try:
        packed = [hiredis.pack_command(command)]  # str, bytes, int and float arguments
    except TypeError as exc:
        raise redis.exceptions.DataError(exc) from exc  # as redis-py says it
    pool = client.connection_pool
    connection: Any = pool.get_connection()

    def round_trip() -> Any:
        connection.send_packed_command(packed)
        return connection.read_response()

    try:
        # As execute_command does: a connection that fails is closed, and the command sent
        # again on a new one as the client's retry policy says (a Redis restart).
        return connection.retry.call_with_retry(round_trip, lambda _: connection.disconnect())
    finally:
        if connection.should_reconnect():  # the server announced a move (maintenance)
            connection.disconnect()  # the thread's next command connects again
        pool.release(connection)
