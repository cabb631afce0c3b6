"""The waiting room's Redis connections: each server thread keeps its own
(adapters/queue/connection.py), and one that breaks comes back on the next command."""

import threading

import pytest
import redis

from adapters.queue.connection import ThreadPinnedPool


@pytest.fixture
def client() -> redis.Redis:
    return redis.Redis(connection_pool=ThreadPinnedPool(socket_timeout=2, max_connections=8))


def test_each_thread_keeps_its_own_connection(client: redis.Redis) -> None:
    ids: dict[str, set[int]] = {}
    together = threading.Barrier(3)

    def work(name: str) -> None:
        together.wait()  # all three alive at once
        ids[name] = {int(client.client_id()) for _ in range(20)}
        together.wait()

    threads = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(len(seen) == 1 for seen in ids.values())  # one connection a thread, kept
    assert len(set().union(*ids.values())) == 3  # and not shared between threads


def test_a_broken_connection_is_replaced_on_the_next_command(client: redis.Redis) -> None:
    first = int(client.client_id())
    redis.Redis(socket_timeout=2).client_kill_filter(_id=first)
    with pytest.raises(redis.ConnectionError):
        client.ping()  # the server closed it under us: an error, not a wrong answer
    assert client.ping() is True
    assert int(client.client_id()) != first


def test_pipelines_run_on_the_threads_connection(client: redis.Redis) -> None:
    pipe = client.pipeline(transaction=False)
    pipe.set("pinned:test", "1").get("pinned:test").delete("pinned:test")
    assert pipe.execute() == [True, b"1", 1]
    assert client.ping() is True


def test_threads_that_end_give_their_connections_back() -> None:
    client = redis.Redis(connection_pool=ThreadPinnedPool(socket_timeout=2, max_connections=4))
    errors: list[Exception] = []

    def once() -> None:
        try:
            client.ping()
        except redis.ConnectionError as error:  # "Too many connections" if none came back
            errors.append(error)

    for _ in range(40):  # ten times the pool's size, one short-lived thread after another
        thread = threading.Thread(target=once)
        thread.start()
        thread.join()
    assert errors == []
