"""Read guideline documents from a file, a folder (recursively) or an http(s) URL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import requests
from refstack_lite_client.guideline import GUIDELINE_NAME

from refstack_lite.errors import SourceUnavailable

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
FETCH_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Document:
    """The exact bytes of one candidate guideline and the file name that names it."""

    file_name: str
    source: str
    raw: bytes


@dataclass(frozen=True)
class Collected:
    documents: list[Document]
    skipped: list[str]  # files in a folder that are not guidelines, with the reason


def collect(spec: str) -> Collected:
    """Read every guideline document ``spec`` names; raises ``SourceUnavailable``."""
    if spec.startswith(("http://", "https://")):
        return Collected([_fetch(spec)], [])
    path = Path(spec)
    if path.is_dir():
        # Like RefStack's discovery, a folder contributes only files named as guidelines, so a
        # checkout of the interop repository (legacy/, doc/ schemas, a README) imports as is.
        documents, skipped = [], []
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            if any(part.startswith(".") for part in child.relative_to(path).parts):
                continue
            if child.suffix != ".json":
                skipped.append(f"{child} (not a .json file)")
            elif not GUIDELINE_NAME.match(child.name.removesuffix(".json")):
                skipped.append(f"{child} (not named like a guideline)")
            else:
                documents.append(_read(child))
        return Collected(documents, skipped)
    if path.is_file():
        return Collected([_read(path)], [])
    raise SourceUnavailable(f"{spec}: no such file or folder")


def _read(path: Path) -> Document:
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise SourceUnavailable(
                f"{path}: {size} bytes is more than the {MAX_DOCUMENT_BYTES} allowed for a guideline"
            )
        return Document(path.name, str(path), path.read_bytes())
    except OSError as err:
        raise SourceUnavailable(f"{path}: {err.strerror or err}") from err


def _fetch(url: str) -> Document:
    file_name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    try:
        with requests.get(url, timeout=FETCH_TIMEOUT_SECONDS, stream=True) as response:
            if response.status_code != 200:
                raise SourceUnavailable(f"{url}: the server answered HTTP {response.status_code} {response.reason}")
            raw = bytearray()
            for chunk in response.iter_content(64 * 1024):
                raw += chunk
                if len(raw) > MAX_DOCUMENT_BYTES:
                    raise SourceUnavailable(f"{url}: more than the {MAX_DOCUMENT_BYTES} bytes allowed for a guideline")
    except requests.RequestException as err:
        raise SourceUnavailable(f"{url}: could not be fetched ({err.__class__.__name__}: {err})") from err
    return Document(file_name, url, bytes(raw))
