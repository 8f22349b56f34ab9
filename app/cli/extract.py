"""`regionsok extract` — run the Swedish NLP on files or JSON Lines records, print JSON Lines.

No store is opened: this is for looking at what the pipeline finds in a text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import typer

from app.cli import DataDirOption, use_data_dir
from app.cli.inputs import InputPaths, JsonlOption, require_inputs
from ingest.nlp import NlpInput
from regionsok.errors import ConfigError
from regionsok.records import FetchedPage, Rejected

EPILOG = """
Examples:

  regionsok extract pressmeddelande.html avtal.pdf notes.txt

  regionsok extract tests/fixtures/html/          # every .html/.htm/.pdf/.txt below a folder

  regionsok extract --jsonl records.jsonl         # {"id"?, "url"?, "title"?, "text"|"html", "county_code"?, "kind"?}

Prints one JSON object a line: {"id", "kind", "counties", "organisations", "people", "quotes",
"dates", "amounts", "focus_areas", "target_groups"}; "id" is the record's id (else its url,
else FILE:LINE) or the path given. Exit 0 when every input was extracted, 1 when some could
not be read (each listed on stderr with its reason), 2 on a usage error.
"""


@dataclass(frozen=True, slots=True)
class _Input:
    id: str
    nlp: NlpInput


def _page_for_path(path: Path) -> FetchedPage | Rejected:
    try:
        body = path.read_bytes()
    except OSError as err:
        return Rejected(str(path), f"cannot read: {err.strerror or err}")
    return FetchedPage(url=path.resolve().as_uri(), body=body, source="file")


def _from_page(name: str, page: FetchedPage, county_hint: str | None = None) -> _Input | Rejected:
    from ingest.extract import ExtractOptions, extract_page

    # Nothing is stored or linked here, so a record without an http(s) URL may be read.
    result = extract_page(page, ExtractOptions(check_url_scheme=False))
    if isinstance(result, Rejected):
        return Rejected(name, result.reason)
    return _Input(name, NlpInput(result.text, title=result.title, county_hint=county_hint, kind_hint=result.kind))


def _path_inputs(paths: list[Path]) -> Iterator[_Input | Rejected]:
    from ingest.pipeline import expand_paths

    for path in expand_paths(paths):
        if not path.is_file():
            yield Rejected(str(path), "no such file")
            continue
        page = _page_for_path(path)
        yield page if isinstance(page, Rejected) else _from_page(str(path), page)


def _jsonl_inputs(path: Path) -> Iterator[_Input | Rejected]:
    from ingest.pipeline import read_jsonl

    try:
        records = list(read_jsonl(path, require_url=False))
    except ConfigError as err:
        yield Rejected(str(path), str(err))
        return
    for number, record in records:
        if isinstance(record, Rejected):
            yield record
            continue
        where = f"{path}:{number}"
        name = str(record.get("id") or record.get("url") or where)
        county = record.get("county_code") if isinstance(record.get("county_code"), str) else None
        if isinstance(record.get("html"), str):
            page = FetchedPage(
                url=str(record.get("url") or f"jsonl:{where}"), body=record["html"].encode("utf-8"),
                content_type="text/html; charset=utf-8", source="jsonl", title_hint=record.get("title"),
            )
            yield _from_page(name, page, county)
        else:
            kind = record.get("kind") if isinstance(record.get("kind"), str) else None
            yield _Input(name, NlpInput(record["text"], title=record.get("title"), county_hint=county,
                                        kind_hint=kind))


def extract(
    paths: InputPaths = None,
    jsonl: JsonlOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Print what the Swedish NLP finds in each input as JSON Lines (no database needed)."""
    from ingest.nlp import extract_many

    use_data_dir(data_dir)
    require_inputs(paths, jsonl)
    failed: list[Rejected] = []
    ids: list[str] = []

    def texts() -> Iterator[NlpInput]:
        sources = [*(_path_inputs(paths) if paths else ()), *(_jsonl_inputs(jsonl) if jsonl else ())]
        for item in sources:
            if isinstance(item, Rejected):
                failed.append(item)
                continue
            ids.append(item.id)
            yield item.nlp

    for index, extraction in enumerate(extract_many(texts())):
        typer.echo(json.dumps({"id": ids[index], **extraction.to_json()}, ensure_ascii=False))
    for failure in failed:
        typer.echo(f"failed {failure.source}: {failure.reason}", err=True)
    raise typer.Exit(1 if failed else 0)


def register(app: typer.Typer) -> None:
    app.command(epilog=EPILOG)(extract)
