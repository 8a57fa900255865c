"""The hand-off of a download's bytes to a worker: order, verdicts, and every way it can end."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from marketlake.errors import UnverifiedStreamError
from marketlake.ingest.handoff import HandoffServer, ZipStream
from marketlake.ingest.receiver import ZipReceiver

PIECES = [os.urandom(size) for size in (1, 70_000, 3 << 20, 5, 1 << 20)]


def _receive(address: str, token: str) -> tuple[list[bytes], UnverifiedStreamError | None]:
    """What a worker gets: the chunks, then whether the verdict let it keep its file."""
    with ZipReceiver.connect(address, token) as receiver:
        chunks = list(receiver.chunks())
        try:
            receiver.require_verified()
        except UnverifiedStreamError as exc:
            return chunks, exc
    return chunks, None


async def _hand_off(
    feed: Callable[[ZipStream], None], *, connect_after: int = 2
) -> tuple[list[bytes], UnverifiedStreamError | None]:
    """Run ``feed`` on a stream while a worker thread receives it (connecting part-way)."""
    loop = asyncio.get_running_loop()
    async with HandoffServer() as server:
        stream = server.open()
        with ThreadPoolExecutor(1) as thread:
            for piece in PIECES[:connect_after]:  # bytes that wait for the worker
                stream.write(piece)
            received = loop.run_in_executor(thread, _receive, server.address, stream.token)
            await asyncio.sleep(0.05)
            feed(stream)
            return await received


def _rest_then(verified: bool) -> Callable[[ZipStream], None]:
    def feed(stream: ZipStream) -> None:
        for piece in PIECES[2:]:
            stream.write(piece)
        stream.close(verified=verified)

    return feed


def test_bytes_arrive_in_order_and_a_verified_stream_may_be_kept() -> None:
    chunks, refused = asyncio.run(_hand_off(_rest_then(verified=True)))
    assert chunks == PIECES
    assert refused is None


def test_an_unverified_stream_arrives_whole_but_may_not_be_kept() -> None:
    chunks, refused = asyncio.run(_hand_off(_rest_then(verified=False)))
    assert chunks == PIECES
    assert refused is not None and "not verified" in refused.message


def test_a_stream_closed_before_the_worker_connects_is_delivered_whole() -> None:
    async def run() -> tuple[list[bytes], UnverifiedStreamError | None]:
        loop = asyncio.get_running_loop()
        async with HandoffServer() as server:
            stream = server.open()
            for piece in PIECES:
                stream.write(piece)
            stream.close(verified=True)
            return await loop.run_in_executor(None, _receive, server.address, stream.token)

    chunks, refused = asyncio.run(run())
    assert (chunks, refused) == (PIECES, None)


def test_a_stream_dropped_mid_way_ends_the_worker_unverified() -> None:
    async def run() -> None:
        loop = asyncio.get_running_loop()
        async with HandoffServer() as server:
            stream = server.open()
            stream.write(PIECES[0])
            receiving = loop.run_in_executor(None, _receive, server.address, stream.token)
            await asyncio.sleep(0.05)
            server.forget(stream)  # the run gave up on it: no end frame will come
            with pytest.raises(UnverifiedStreamError, match="ended before its end frame"):
                await receiving

    asyncio.run(run())


def test_an_unknown_token_is_turned_away() -> None:
    async def run() -> None:
        loop = asyncio.get_running_loop()
        async with HandoffServer() as server:
            server.open()
            with pytest.raises(UnverifiedStreamError):
                await loop.run_in_executor(None, _receive, server.address, "0" * 32)

    asyncio.run(run())


def test_a_worker_that_leaves_early_costs_the_download_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def leave_after_one(address: str, token: str) -> bytes:
        with ZipReceiver.connect(address, token) as receiver:
            return next(receiver.chunks())

    async def run() -> bytes:
        loop = asyncio.get_running_loop()
        async with HandoffServer() as server:
            stream = server.open()
            stream.write(PIECES[0])
            first = await loop.run_in_executor(None, leave_after_one, server.address, stream.token)
            for _ in range(50):  # the download goes on: writes to a departed worker are dropped
                stream.write(PIECES[2])
                await asyncio.sleep(0)
            stream.close(verified=True)
            return first

    with caplog.at_level(logging.WARNING):
        assert asyncio.run(run()) == PIECES[0]
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_worker_cannot_reach_a_closed_hand_off() -> None:
    async def address() -> str:
        async with HandoffServer() as server:
            return server.address

    with pytest.raises(UnverifiedStreamError, match="cannot reach"):
        ZipReceiver.connect(asyncio.run(address()), "0" * 32)
