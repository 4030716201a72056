"""The isolated agent's link: messages of every size arrive whole and in order, whether
the reader spins or sleeps, and a dead peer reads as the end of the link."""

from __future__ import annotations

import multiprocessing as mp
import os
import time

import pytest

from embodied_bench.harness import link


def _echo(recipe, delay):
    end = link.connect(recipe)
    while True:
        try:
            data = end.recv_bytes()
        except EOFError:
            break
        if data == b"die":
            os._exit(3)
        time.sleep(delay)
        end.send_bytes(data[::-1])


@pytest.fixture(params=[0.0, 0.02], ids=["fast-peer", "slow-peer"])
def peer(request):
    ctx = mp.get_context("spawn")
    mine, recipe = link.make_pair(ctx)
    process = ctx.Process(target=_echo, args=(recipe, request.param), daemon=True)
    process.start()
    (recipe[0] if isinstance(recipe, tuple) else recipe).close()
    yield mine, process
    mine.close()
    process.join(timeout=5)


def test_messages_of_every_size_arrive_whole_and_in_order(peer):
    end, _ = peer
    if not link.fast_links_supported():
        pytest.skip("plain pipes on this machine")
    sizes = [0, 1, 100, link.CAPACITY, link.CAPACITY + 1, 3 * link.CAPACITY, 5, 0]
    for i, size in enumerate(sizes):
        message = bytes([i % 251]) * size + f"#{i}".encode()
        end.send_bytes(message)
        assert end.recv_bytes() == message[::-1]


def test_poll_times_out_then_sees_the_answer(peer):
    end, _ = peer
    assert not end.poll(0.001)  # nothing sent: nothing comes
    end.send_bytes(b"abc")
    assert end.poll(5.0)
    assert end.recv_bytes() == b"cba"


def test_a_dead_peer_ends_the_link(peer):
    end, process = peer
    end.send_bytes(b"die")
    assert end.poll(10.0)  # the peer's death wakes the reader
    with pytest.raises(EOFError):
        end.recv_bytes()
    process.join(timeout=5)
    assert process.exitcode == 3
