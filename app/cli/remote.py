"""`--server URL`: answer `search`, `regions` and `people` from a running `regionsok serve`.

A CLI call otherwise loads the embedding model itself (seconds on a quiet machine, much more
on a busy one); a server has it loaded already. The answer is the server's JSON, so a
command prints the same thing either way.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Annotated, Any

import typer

from app.cli.progress import err_console

ServerOption = Annotated[
    str | None,
    typer.Option(
        "--server", envvar="REGIONSOK_SERVER", show_default=False,
        help="Ask a running `regionsok serve` at this URL (e.g. http://127.0.0.1:8000) instead of "
        "loading the model here: answers in well under a second.",
    ),
]

#: Seconds to wait for a server's answer: a search takes milliseconds, a busy server seconds.
TIMEOUT = 60.0


def get_json(server: str, path: str, params: Sequence[tuple[str, str]]) -> Any:
    """GET ``server + path`` with query ``params``; exit 2 on the server's 4xx, 1 when unreachable."""
    base = server.rstrip("/")
    if not base.startswith(("http://", "https://")):
        err_console.print(f"[red]error:[/] --server must be an http(s) URL, not {server!r}")
        raise typer.Exit(2)
    url = f"{base}{path}?{urllib.parse.urlencode(list(params))}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # http(s) checked above
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as err:
        detail = _detail(err)
        err_console.print(f"[red]error:[/] {detail}")
        raise typer.Exit(2 if 400 <= err.code < 500 else 1) from err
    except (urllib.error.URLError, OSError, ValueError) as err:
        err_console.print(f"[red]error:[/] cannot ask the server at {base}: {err}")
        raise typer.Exit(1) from err


def _detail(err: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(err.read().decode("utf-8"))
    except (OSError, ValueError):
        return f"the server answered {err.code}"
    detail = body.get("detail") if isinstance(body, dict) else None
    return str(detail) if detail else f"the server answered {err.code}"
