"""A 1 MB query string gets a clear 414 from a real uvicorn socket, never a connection reset."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import uvicorn

from api.headers import MAX_REQUEST_HEAD_BYTES
from regionsok.settings import Settings


async def _ask(settings: Settings, targets: list[bytes]) -> list[bytes]:
    from api.app import create_app

    # The same h11 limit `regionsok serve` uses (api.server), on port 0.
    config = uvicorn.Config(create_app(settings, warm=False), host="127.0.0.1", port=0, log_level="warning",
                            h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        await asyncio.wait_for(_started(server), timeout=60)
        port = server.servers[0].sockets[0].getsockname()[1]
        answers = []
        for target in targets:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            await writer.drain()
            answers.append(await asyncio.wait_for(reader.read(), timeout=60))
            writer.close()
        return answers
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, timeout=60)


async def _started(server: uvicorn.Server) -> None:
    while not server.started:
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("size", [20_000, 1_000_000])
def test_an_over_long_query_string_is_answered_414(tmp_path: Path, size: int) -> None:
    settings = Settings(data_dir=tmp_path)
    [answer] = asyncio.run(_ask(settings, [b"/search?q=" + b"a" * size]))

    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 414 "), answer[:200]
    assert b"URI too long" in rest
    assert b"x-content-type-options: nosniff" in rest.lower()
