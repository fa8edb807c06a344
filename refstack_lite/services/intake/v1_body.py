"""A RefStack (v1) upload, as the unmodified refstack-client sends it (DESIGN.md §3.1): pure checks.

``check`` runs first, in RefStack's order: the body must be JSON, follow ``SCHEMA`` (every item,
not only the first), carry a good signature when it carries either signature header, and hold
at least one passed test. ``v1_upload`` then stores it.

A result item is checked for ``name`` and ``uuid``; other keys are ignored, as RefStack's schema
allowed them (its own API tests send ``{"name": ..., "uid": "42"}``). A well-formed RSA key too
small to be registered here still has its signature checked, as RefStack did: ``v1_upload`` then
refuses the upload as signed by an unknown key (401), saying the key can never be registered.

Refusals raise the usual domain errors; their ``detail`` is RefStack's own title where RefStack
had one, so ``api.v1_results`` can answer in RefStack's shape.
"""

from __future__ import annotations

import binascii
import copy
import hashlib
import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import fastjsonschema
import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from jsonschema import Draft202012Validator, ValidationError
from refstack_lite_client import keys
from refstack_lite_client.schemas import Problem

from refstack_lite.errors import InvalidInput

# RefStack's titles, word for word (research/refstack-baseline.md §4), the typo included.
MALFORMED = "Malformed request"
NOT_SCHEMA = "Request doesnt correspond to schema"
NO_TESTS = "Uploaded results must contain at least one passing test."
MALFORMED_SIGNATURE = "Malformed signature"
MALFORMED_KEY = "Malformed public key"
BAD_SIGNATURE = "Signature verification failed"
# RefStack's first sentence, then how to register a key here (RefStack pointed to its web UI).
UNKNOWN_KEY = (
    "User with specified key not found. Register the key to your vendor on this server first: "
    "refstack-lite-client keys register --key <the private key you sign with> (see refstack-lite-client's README)."
)
ANONYMOUS_DISABLED = (
    "Anonymous result uploads are disabled on this server: sign the results with a key registered to "
    "your vendor (refstack-client upload --sign <private key>)."
)

MAX_RESULTS = 100_000
MAX_NAME = 512  # the test_names column
MAX_CPID = 200  # the submissions column
MAX_DURATION = 366 * 24 * 3600
UUID_SUFFIX = len("[id-]") + 36  # a name is stored as "<name>[id-<uuid>]" when it has a uuid
MAX_PROBLEMS = 100

_HEX32 = "[0-9a-fA-F]{32}"
_DASHED = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_CONTROLS = "[\\u0000-\\u001f\\u007f]"
_NAME_REFUSED = "[\\u0000-\\u001f\\u007f\\[\\]]"

# The one definition of a valid body. A pattern's "$" also matches before a final line feed, so
# each anchored pattern is paired with a "not" pattern that refuses every other character.
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "RefStack v1 test-result upload",
    "description": "What refstack-client posts to /v1/results: only the tests that passed.",
    "type": "object",
    "properties": {
        "cpid": {"type": "string", "maxLength": MAX_CPID, "not": {"type": "string", "pattern": _CONTROLS}},
        "duration_seconds": {"type": "integer", "minimum": 0, "maximum": MAX_DURATION},
        "results": {
            "type": "array",
            "maxItems": MAX_RESULTS,
            "items": {
                "type": "object",
                "properties": {
                    "name": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": MAX_NAME,
                        "not": {"type": "string", "pattern": _NAME_REFUSED},
                    },
                    "uuid": {
                        "type": "string",
                        "pattern": f"^(?:{_HEX32}|{_DASHED})$",
                        "not": {"type": "string", "pattern": "[^0-9a-fA-F-]"},
                    },
                },
                "required": ["name"],
                "if": {"required": ["uuid"]},
                "then": {"properties": {"name": {"maxLength": MAX_NAME - UUID_SUFFIX}}},
            },
        },
    },
    "required": ["cpid", "duration_seconds", "results"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Checked:
    """An upload that passed every check needing no database."""

    raw: bytes
    digest: str  # "sha256:<hex>" of ``raw``
    cpid: str
    duration_seconds: int
    tests: list[str]  # "<name>[id-<uuid>]", or the bare name when no uuid came with it
    signer: keys.VendorKey | SmallKey | None
    signature: str | None  # the X-Signature header as received


@dataclass(frozen=True)
class SmallKey:
    """A well-formed RSA key below ``keys.MIN_RSA_BITS`` whose signature over the body is good.
    No such key is registered here, nor ever can be."""

    bits: int

    def refusal(self) -> str:
        return (
            f"User with specified key not found: this {self.bits}-bit RSA key can never be registered here, "
            f"as RSA keys need at least {keys.MIN_RSA_BITS} bits. Make a new key "
            "(refstack-lite-client keygen --type rsa), register it to your vendor "
            "(refstack-lite-client keys register --key <file>) and sign with it."
        )


def check(raw: bytes, signature: str | None, public_key: str | None) -> Checked:
    """Parse, validate and verify one upload; raises ``InvalidInput`` with RefStack's title."""
    document = parse(raw)
    digest = hashlib.sha256(raw).digest()
    signer = None
    if signature is not None or public_key is not None:
        signer = verify_signature(raw, digest, signature, public_key)
    results: list[dict[str, str]] = document["results"]
    if not results:
        raise InvalidInput(NO_TESTS, [Problem("$.results", "lists no test; refstack-client sends the passed tests")])
    return Checked(
        raw=raw,
        digest="sha256:" + digest.hex(),
        cpid=document["cpid"],
        duration_seconds=int(document["duration_seconds"]),
        tests=_test_ids(results),
        signer=signer,
        signature=None if signature is None or signer is None else signature.strip(),
    )


def parse(raw: bytes) -> dict[str, Any]:
    """The body as a document that follows ``SCHEMA`` and names each test once.

    A good body is read by orjson, several times faster than ``json``. Any other is read again
    by ``json``, whose reading the checks and their messages follow: orjson refuses lone
    surrogates and numbers beyond a double, which ``json`` reads, and reads an integer beyond 64
    bits as a float.
    """
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        document = None
    if isinstance(document, dict) and fast_valid(document):
        return document
    try:
        document = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, RecursionError) as err:  # UnicodeDecodeError is a ValueError
        raise InvalidInput(
            MALFORMED, [Problem("$", f"the body is not UTF-8 JSON: {err}")], slug="malformed-json"
        ) from err
    if not fast_valid(document):
        found = problems(document)
        if found:
            raise InvalidInput(NOT_SCHEMA, found, slug="schema-violation")
    assert isinstance(document, dict)
    return document


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _test_ids(results: list[dict[str, str]]) -> list[str]:
    """Each test as Tempest names it, ``<name>[id-<uuid>]``, the uuid lowercase with its dashes."""
    names = [item["name"] for item in results]
    uuids = [item.get("uuid", "") for item in results]
    if not any(uuids):
        return names
    dashed = " ".join(uuids).lower().split(" ")
    if any(len(u) == 32 for u in dashed):
        dashed = [u if len(u) != 32 else f"{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}" for u in dashed]
    return [f"{name}[id-{uuid}]" if uuid else name for name, uuid in zip(names, dashed, strict=True)]


# --- the fast check: the schema's answer for a valid body, without walking it item by item -----

_NAME_BYTES_OK = bytes(b for b in range(256) if b not in (*range(0x20), 0x7F, ord("["), ord("]")))
_HEX_BYTES = b"0123456789abcdefABCDEF"
_DASHES_AT = (8, 13, 18, 23)
_CHUNK = 256  # items the slow path skips at once when the fast check passes them


def _light(schema: dict[str, Any]) -> dict[str, Any]:
    light = copy.deepcopy(schema)
    light["properties"]["results"]["items"] = {}
    return light


@lru_cache(maxsize=1)
def _light_validator() -> Callable[[object], object]:
    """``SCHEMA`` compiled, its result items left to ``_results_ok``, which checks them in bulk."""
    return fastjsonschema.compile(_light(SCHEMA), use_formats=False)


def fast_valid(document: object) -> bool:
    """True only for a document ``problems`` finds nothing wrong with (``tests/unit`` compares)."""
    try:
        _light_validator()(document)
    except fastjsonschema.JsonSchemaException:
        return False
    assert isinstance(document, dict)
    return _encodable(document["cpid"]) and _results_ok(document["results"])


def _results_ok(results: list[Any]) -> bool:
    """Every item follows the schema's item definition and no name repeats, checked list-wide."""
    if not results:
        return True
    if set(map(type, results)) != {dict}:
        return False
    names = [item.get("name") for item in results]
    if set(map(type, names)) != {str} or len(set(names)) != len(names):
        return False
    lengths = list(map(len, names))
    if min(lengths) < 1 or max(lengths) > MAX_NAME:
        return False
    try:
        if " ".join(names).encode("utf-8").translate(None, _NAME_BYTES_OK):
            return False
    except UnicodeEncodeError:  # a lone surrogate
        return False
    uuids = [item["uuid"] for item in results if "uuid" in item]
    if not uuids:
        return True
    if not _uuids_ok(uuids):
        return False
    # only a long name may be too long once "[id-<uuid>]" is added to it
    if max(lengths) <= MAX_NAME - UUID_SUFFIX:
        return True
    return max(len(item["name"]) for item in results if "uuid" in item) <= MAX_NAME - UUID_SUFFIX


def _uuids_ok(uuids: list[Any]) -> bool:
    """32 hex digits, or 36 characters with the dashes exactly at 8-4-4-4-12."""
    if set(map(type, uuids)) != {str}:
        return False
    sizes = set(map(len, uuids))
    if not sizes <= {32, 36}:
        return False
    dashed = "".join(uuids) if sizes == {36} else "".join([u for u in uuids if len(u) == 36])
    plain = "" if 32 not in sizes else "".join([u for u in uuids if len(u) == 32])
    count = len(dashed) // 36
    if "-" in plain or dashed.count("-") != 4 * count or any(dashed[at::36] != "-" * count for at in _DASHES_AT):
        return False
    try:
        return not (dashed + plain).encode("ascii").translate(None, _HEX_BYTES + b"-")
    except UnicodeEncodeError:
        return False


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- the full list of problems, for a body that is refused --------------------------------------

_top_validator = Draft202012Validator(_light(SCHEMA))
_item_validator = Draft202012Validator(SCHEMA["properties"]["results"]["items"])


def problems(document: object) -> list[Problem]:
    """Every way ``document`` breaks ``SCHEMA`` or names a test twice (at most ``MAX_PROBLEMS``)."""
    found = itertools.islice(
        itertools.chain(
            (Problem(err.json_path, _message(err)) for err in _top_validator.iter_errors(document)),
            _item_problems(document),
            _surrogates(document),
            _duplicates(document),
        ),
        MAX_PROBLEMS,
    )
    return sorted(set(found), key=lambda p: (_natural(p.path), p.message))


def _item_problems(document: object) -> Iterator[Problem]:
    """The schema's complaints about result items, asked only of runs of items the bulk check
    refuses: a long list with one bad item costs the slow validator one run, not the list."""
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, list):
        return
    for start in range(0, len(results), _CHUNK):
        chunk = results[start : start + _CHUNK]
        if _results_ok(chunk):
            continue
        for index, item in enumerate(chunk, start):
            for err in _item_validator.iter_errors(item):
                yield Problem(f"$.results[{index}]" + err.json_path[1:], _message(err))


def _natural(path: str) -> list[tuple[int, str]]:
    """``$.results[2]`` before ``$.results[10]``."""
    return [(int(part), "") if part.isdigit() else (-1, part) for part in re.split(r"(\d+)", path)]


def _message(err: ValidationError) -> str:
    field = err.absolute_path[-1] if err.absolute_path else None
    if err.validator in ("pattern", "not") and field == "uuid":
        return "is not a UUID: 32 hex digits, or 8-4-4-4-12 with dashes"
    if err.validator == "not" and field == "name":
        return "must not contain control characters, '[' or ']' (send the test id's uuid as 'uuid')"
    if err.validator == "not":
        return "must not contain control characters"
    if err.validator == "maxLength" and isinstance(err.instance, str):
        return f"is {len(err.instance)} characters long; at most {err.validator_value} here"
    shown = repr(err.instance)
    return err.message if len(shown) <= 80 else err.message.replace(shown, shown[:60] + "…")


def _strings(document: object) -> Iterator[tuple[str, str]]:
    if not isinstance(document, dict):
        return
    if isinstance(document.get("cpid"), str):
        yield "$.cpid", document["cpid"]
    results = document.get("results")
    if isinstance(results, list):
        for index, item in enumerate(results):
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                yield f"$.results[{index}].name", item["name"]


def _surrogates(document: object) -> Iterator[Problem]:
    for path, text in _strings(document):
        if not _encodable(text):
            yield Problem(path, "contains an unpaired surrogate")


def _duplicates(document: object) -> Iterator[Problem]:
    seen: dict[str, str] = {}
    for path, name in _strings(document):
        if path == "$.cpid":
            continue
        if name in seen:
            yield Problem(path, f"{name[:80]!r} is also at {seen[name]}; each test is reported once")
        else:
            seen[name] = path.removesuffix(".name")


# --- the signature ----------------------------------------------------------------------------


def verify_signature(
    raw: bytes, digest: bytes, signature: str | None, public_key: str | None
) -> keys.VendorKey | SmallKey:
    """The key whose ``X-Signature`` over the exact body bytes is good; both headers are needed."""
    if signature is None:
        raise InvalidInput(MALFORMED_SIGNATURE, [Problem("X-Signature", "missing, but X-Public-Key was sent")])
    if public_key is None:
        raise InvalidInput(MALFORMED_KEY, [Problem("X-Public-Key", "missing, but X-Signature was sent")])
    try:
        signed = binascii.a2b_hex(signature.strip())
    except (binascii.Error, ValueError) as err:
        raise InvalidInput(MALFORMED_SIGNATURE, [Problem("X-Signature", "is not hexadecimal")]) from err
    if not signed:
        raise InvalidInput(MALFORMED_SIGNATURE, [Problem("X-Signature", "is empty")])
    key: keys.VendorKey | SmallKey
    try:
        key = _parsed_key(public_key.strip())
        good = _good(key, signed, raw, digest)
    except keys.KeyTooSmall as err:  # well-formed, as RefStack saw it: its signature decides first
        key = SmallKey(err.key.key_size)
        good = _rsa_good(err.key, signed, digest)
    except keys.KeyRefused as err:
        raise InvalidInput(MALFORMED_KEY, [Problem("X-Public-Key", str(err))]) from err
    if not good:
        raise InvalidInput(
            BAD_SIGNATURE,
            [Problem("X-Signature", "is not this key's RSA PKCS#1 v1.5 SHA-256 signature over the exact body bytes")],
        )
    return key


@lru_cache(maxsize=256)
def _parsed_key(line: str) -> keys.VendorKey:
    return keys.parse_public_key(line)


def _good(key: keys.VendorKey, signature: bytes, raw: bytes, digest: bytes) -> bool:
    """RSA (what refstack-client signs with) reuses the body's SHA-256; other kinds hash again."""
    if not isinstance(key.key, rsa.RSAPublicKey):
        return keys.verify(key, signature, raw)
    return _rsa_good(key.key, signature, digest)


def _rsa_good(key: rsa.RSAPublicKey, signature: bytes, digest: bytes) -> bool:
    try:
        key.verify(signature, digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
