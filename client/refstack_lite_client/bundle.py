"""The native (v2) signed bundle: an in-toto Statement in a DSSE envelope (DESIGN.md §3.2).

Pure code, shared by the client (building and signing) and the server (verifying). The
verifier follows DESIGN.md §2.5: envelope schema, key lookup by key id, signature over the
exact payload bytes, and only then parses the payload and checks the statement schema. The
payload is never re-serialised: what was signed is what is parsed, stored and digested.

The statement's single subject is named ``refstack-lite-results``; its ``sha256`` is the
digest of the sorted ``passedTests``, each name followed by a line feed, in UTF-8
(``passed_digest``), so the subject identifies what the statement attests to have passed.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator

from refstack_lite_client import keys, schemas
from refstack_lite_client.schemas import Problem

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://refstack-lite.dev/attestation/test-result/v1"
SUBJECT_NAME = "refstack-lite-results"
ENVELOPE_SCHEMA = "dsse-envelope.v1.schema.json"
STATEMENT_SCHEMA = "test-result-statement.v1.schema.json"
MAX_TESTS = 100_000  # passed, failed and skipped together
TEST_LISTS = ("passedTests", "failedTests", "skippedTests")


class BundleRefused(ValueError):
    """A bundle we will not accept. ``reason`` is a stable slug, ``problems`` the schema faults.

    Reasons: malformed-json, envelope-schema, payload-type, bad-base64, unknown-key,
    bad-signature, malformed-payload, statement-schema.
    """

    def __init__(self, reason: str, message: str, problems: Iterable[Problem] = ()) -> None:
        self.reason = reason
        self.problems = list(problems)
        detail = "".join(f"\n  {p}" for p in self.problems)
        super().__init__(f"{message}{detail}")
        self.message = message


@dataclass(frozen=True)
class Results:
    """One test run, as the client parsed it; ``build_statement`` turns it into the statement.

    Digests are ``sha256:<hex>``; ``configuration`` maps a file name (``tempest.conf``) to its
    SHA-256 hex; ``runner`` and ``tools`` map a program name to its version.
    """

    guideline_id: str
    guideline_digest: str
    target: str
    started_at: datetime
    finished_at: datetime
    runner: Mapping[str, str]
    passed: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    product_version_id: str | None = None
    cpid: str | None = None
    challenge: str | None = None
    tools: Mapping[str, str] = field(default_factory=dict)
    configuration: Mapping[str, str] = field(default_factory=dict)
    evidence_digest: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Verified:
    """A bundle whose signature and statement checked out."""

    envelope_digest: str  # "sha256:<hex>" of the envelope bytes as received
    keyid: str
    key: keys.VendorKey
    payload: bytes  # the exact signed bytes
    statement: dict[str, Any]


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: ``DSSEv1 SP LEN(type) SP type SP LEN(body) SP body``."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def rfc3339(moment: datetime) -> str:
    """``moment`` in UTC as RFC 3339 with a ``Z``; naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def passed_digest(passed: Iterable[str]) -> str:
    """The subject digest: SHA-256 hex of the sorted passed names, each followed by a line feed."""
    ordered = sorted(passed)
    text = "\n".join(ordered) + "\n" if ordered else ""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build_statement(results: Results) -> dict[str, Any]:
    """The in-toto Statement v1 for ``results``, test lists sorted (``statement_problems`` checks it)."""
    product = {"versionId": results.product_version_id, "cpid": results.cpid}
    predicate: dict[str, Any] = {
        "result": "FAILED" if results.failed else "PASSED",
        "configuration": [
            {"name": name, "digest": {"sha256": hexdigest}} for name, hexdigest in sorted(results.configuration.items())
        ],
        "passedTests": sorted(results.passed),
        "warnedTests": [],
        "failedTests": sorted(results.failed),
        "skippedTests": sorted(results.skipped),
        "guideline": {"id": results.guideline_id, "digest": results.guideline_digest},
        "target": results.target,
        "product": {name: value for name, value in product.items() if value is not None},
        "challenge": results.challenge,
        "startedAt": rfc3339(results.started_at),
        "finishedAt": rfc3339(results.finished_at),
        "runner": dict(results.runner),
        "tools": dict(results.tools),
    }
    if results.url is not None:
        predicate["url"] = results.url
    if results.evidence_digest is not None:
        predicate["evidence"] = {"subunit": {"digest": results.evidence_digest}}
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": SUBJECT_NAME, "digest": {"sha256": passed_digest(results.passed)}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate,
    }


def encode_statement(statement: Mapping[str, Any]) -> bytes:
    """Compact JSON with sorted keys, UTF-8: the bytes to sign (verification never re-encodes)."""
    return json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(statement_bytes: bytes, private: keys.PrivateKey) -> bytes:
    """The DSSE envelope (JSON bytes) carrying ``statement_bytes`` signed by ``private``."""
    signature = keys.sign(private, pae(PAYLOAD_TYPE, statement_bytes))
    envelope = {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(statement_bytes).decode("ascii"),
        "signatures": [
            {"keyid": keys.public_key_of(private).fingerprint, "sig": base64.b64encode(signature).decode("ascii")}
        ],
    }
    return json.dumps(envelope, separators=(",", ":")).encode("ascii")


def statement_problems(statement: object) -> list[Problem]:
    """Every way ``statement`` breaks the statement schema, then what a schema cannot express.

    A valid statement is recognised by the fast check (``_fast_valid``); only an invalid one
    pays for jsonschema, which lists every problem with its path.
    """
    found: list[Problem] = []
    fast = _fast_valid(statement)
    if not fast:
        found = [_plain(problem) for problem in _schema_problems(statement)]
        if found or not isinstance(statement, dict):
            return found
    assert isinstance(statement, dict)
    predicate = statement["predicate"]
    lists = {name: predicate[name] for name in TEST_LISTS}
    total = sum(len(names) for names in lists.values())
    if total > MAX_TESTS:
        found.append(Problem("$.predicate", f"{total} tests in all; at most {MAX_TESTS} are accepted"))
    found.extend(_overlaps(lists, checked=fast))
    if statement["subject"][0]["digest"]["sha256"] != passed_digest(predicate["passedTests"]):
        found.append(Problem("$.subject[0].digest.sha256", "is not the SHA-256 of the sorted passedTests"))
    found.extend(time_problems(predicate, "$.predicate", "startedAt", "finishedAt"))
    return sorted(found, key=lambda p: (p.path, p.message))


def time_problems(document: Mapping[str, str], where: str, start: str, finish: str) -> list[Problem]:
    """The two times of ``document`` (already RFC 3339 by their pattern) are real and in order."""
    found: list[Problem] = []
    times = {name: _time(document[name]) for name in (start, finish)}
    for name, moment in times.items():
        if moment is None:
            found.append(Problem(f"{where}.{name}", f"{document[name]!r} is not a real date and time"))
    started, finished = times[start], times[finish]
    if started is not None and finished is not None and finished < started:
        found.append(Problem(f"{where}.{finish}", f"is before {start}"))
    return found


def verify(envelope_bytes: bytes, key_for: Callable[[str], keys.VendorKey | None]) -> Verified:
    """Check ``envelope_bytes`` in DESIGN.md §2.5's order; raises ``BundleRefused`` with the reason.

    As DSSE's envelope.md says, fields the envelope schema does not name are ignored. As its
    protocol.md verifies several signatures, each whose keyid ``key_for`` knows is checked in
    turn: one that does not verify is skipped, and the first that does decides. The bundle is
    refused as ``bad-signature`` when signatures by known keys all fail, as ``unknown-key`` when
    none is by a known key (a signature without a keyid is by no known key). ``key_for`` is
    called only for an envelope that passed its schema and payload-type and base64 checks.
    """
    envelope = _load_json(envelope_bytes, "malformed-json", "the envelope")
    found = schemas.problems(ENVELOPE_SCHEMA, envelope)
    if found:
        raise BundleRefused("envelope-schema", "the envelope does not follow the DSSE envelope schema", found)
    if envelope["payloadType"] != PAYLOAD_TYPE:
        raise BundleRefused("payload-type", f"payloadType must be {PAYLOAD_TYPE!r}, not {envelope['payloadType']!r}")
    payload = _b64("$.payload", envelope["payload"])
    signatures = [
        (item.get("keyid", ""), _b64(f"$.signatures[{index}].sig", item["sig"]))
        for index, item in enumerate(envelope["signatures"])
    ]
    message = pae(PAYLOAD_TYPE, payload)
    failed: list[str] = []
    for keyid, signature in signatures:
        key = key_for(keyid) if keyid else None
        if key is None:
            continue
        if not keys.verify(key, signature, message):
            failed.append(keyid)
            continue
        statement = _load_json(payload, "malformed-payload", "the payload")
        found = statement_problems(statement)
        if found:
            raise BundleRefused("statement-schema", "the statement does not follow the test-result schema", found)
        digest = "sha256:" + hashlib.sha256(envelope_bytes).hexdigest()
        return Verified(digest, keyid, key, payload, statement)
    if failed:
        named = ", ".join(dict.fromkeys(failed))
        raise BundleRefused("bad-signature", f"the signature by {named} does not match the payload")
    named = ", ".join(keyid or "(no keyid)" for keyid, _ in signatures)
    raise BundleRefused("unknown-key", f"no signature is by a known key (signed by {named})")


_CONTROL_BYTES = bytes([*range(0x20), 0x7F])
_OTHER_BYTES = bytes(b for b in range(256) if b not in _CONTROL_BYTES)


@cache
def _light_validator() -> Callable[[object], object]:
    """The statement schema compiled with fastjsonschema, its test lists checked only as arrays.

    Checking 1,500 names one by one (type, length, pattern) costs milliseconds even compiled;
    ``_test_list_ok`` checks the same ``testList`` definition over whole lists at C speed.
    """
    light = copy.deepcopy(schemas.load_schema(STATEMENT_SCHEMA))
    light["$defs"]["testList"] = {"type": "array"}
    return fastjsonschema.compile(light, use_formats=False)


@cache
def _test_list_rules() -> tuple[int, int, int]:
    """maxItems, minLength and maxLength of the schema's testList, read from the schema itself."""
    defs = schemas.load_schema(STATEMENT_SCHEMA)["$defs"]
    name = defs["testName"]
    if name["pattern"] != "^[^\\u0000-\\u001f\\u007f]+$" or defs["testList"].get("uniqueItems") is not True:
        raise RuntimeError("the testList schema changed: update _test_list_ok to match it")
    return defs["testList"]["maxItems"], name["minLength"], name["maxLength"]


@cache
def _light_checker() -> Draft202012Validator:
    light = copy.deepcopy(schemas.load_schema(STATEMENT_SCHEMA))
    light["$defs"]["testList"] = {"type": "array"}
    checker: Draft202012Validator = schemas.Validator(light)
    return checker


@cache
def _name_checker() -> Draft202012Validator:
    checker: Draft202012Validator = schemas.Validator(schemas.load_schema(STATEMENT_SCHEMA)["$defs"]["testName"])
    return checker


def _schema_problems(statement: object) -> list[Problem]:
    """The statement schema's problems, as jsonschema words them. jsonschema takes tens of
    microseconds per test name, so the test lists are checked here and only the names that
    break a rule go through it: a list of 100,000 names is refused in well under a second."""
    found = schemas.problems_by(_light_checker(), statement)
    predicate = statement.get("predicate") if isinstance(statement, dict) else None
    if isinstance(predicate, dict):
        for list_name in TEST_LISTS:
            names = predicate.get(list_name)
            if isinstance(names, list):
                found.extend(_test_list_problems(f"$.predicate.{list_name}", names))
    return sorted(found, key=lambda p: (p.path, p.message))


def _test_list_problems(path: str, names: list[Any]) -> list[Problem]:
    max_items, min_length, max_length = _test_list_rules()
    if len(names) > max_items:
        return [Problem(path, f"is too long: {len(names)} names, at most {max_items}")]
    found: list[Problem] = []
    for index, name in enumerate(names):
        if type(name) is not str or not min_length <= len(name) <= max_length or not _printable(name):
            found.extend(schemas.problems_by(_name_checker(), name, f"{path}[{index}]"))
    strings = Counter(name for name in names if type(name) is str)
    if len(strings) != strings.total():
        twice = sorted(name for name, count in strings.items() if count > 1)[:3]
        found.append(Problem(path, f"has non-unique elements: {', '.join(map(repr, twice))}"))
    return found


def _printable(name: str) -> bool:
    try:
        return not name.encode("utf-8").translate(None, _OTHER_BYTES)
    except UnicodeEncodeError:  # reported by the statement checks, not by the schema
        return True


def _test_list_ok(names: list[Any]) -> bool:
    """``names`` satisfies the schema's ``testList``: unique strings without control characters."""
    max_items, min_length, max_length = _test_list_rules()
    if len(names) > max_items or not set(map(type, names)) <= {str}:
        return False
    if not names:
        return True
    if len(set(names)) != len(names) or min(map(len, names)) < min_length or max(map(len, names)) > max_length:
        return False
    try:
        joined = " ".join(names).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: let the slow path report it
        return False
    return not joined.translate(None, _OTHER_BYTES)


def _fast_valid(statement: object) -> bool:
    """True only for a statement that the schema accepts (``tests/unit`` compares both paths)."""
    try:
        _light_validator()(statement)
    except fastjsonschema.JsonSchemaException:
        return False
    assert isinstance(statement, dict)
    return all(_test_list_ok(statement["predicate"][name]) for name in TEST_LISTS)


def _overlaps(lists: dict[str, list[str]], checked: bool) -> list[Problem]:
    """Names in more than one list, and (unless the fast check passed) unencodable names."""
    total = sum(len(names) for names in lists.values())
    if checked and len({name for names in lists.values() for name in names}) == total:
        return []
    found: list[Problem] = []
    seen: dict[str, str] = {}
    for list_name, names in lists.items():
        for index, name in enumerate(names):
            if not _encodable(name):
                found.append(Problem(f"$.predicate.{list_name}[{index}]", "contains an unpaired surrogate"))
            elif name in seen:
                where = f"$.predicate.{list_name}[{index}]"
                found.append(Problem(where, f"{name!r} is already in {seen[name]}; a test has one outcome"))
            else:
                seen[name] = list_name
    return found


def _encodable(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _plain(problem: Problem) -> Problem:
    """Say what the predicate's one ``anyOf`` (some passed or failed test) means."""
    if problem.path == "$.predicate" and problem.message.endswith("is not valid under any of the given schemas"):
        return Problem(problem.path, "no test results: passedTests and failedTests are both empty")
    return problem


_URL_SAFE = bytes.maketrans(b"-_", b"+/")


def _b64(path: str, text: str) -> bytes:
    """Strict base64, standard or URL-safe alphabet (DSSE allows both), with its padding."""
    url_safe = "-" in text or "_" in text
    if url_safe and ("+" in text or "/" in text):
        raise BundleRefused("bad-base64", f"{path} mixes the standard and URL-safe base64 alphabets")
    try:
        data = text.encode("ascii")
        # strict_mode checks the alphabet and the padding in C, where a pattern check costs a millisecond
        return binascii.a2b_base64(data.translate(_URL_SAFE) if url_safe else data, strict_mode=True)
    except (binascii.Error, ValueError) as err:  # UnicodeEncodeError is a ValueError
        raise BundleRefused("bad-base64", f"{path} is not valid base64 ({err})") from err


def _load_json(data: bytes, reason: str, what: str) -> Any:
    """Strict JSON: UTF-8, no duplicate keys, no NaN or Infinity."""
    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (ValueError, RecursionError) as err:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise BundleRefused(reason, f"{what} is not valid JSON ({err})") from err


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        names = [name for name, _ in pairs]
        raise ValueError(f"duplicate key {next(n for n in names if names.count(n) > 1)!r}")
    return result


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def _time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:  # the schema's pattern lets 2026-02-30 through
        return None
