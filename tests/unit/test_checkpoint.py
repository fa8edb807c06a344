"""C2SP tlog checkpoints: real checkpoints of the Go checksum database verify with the key the go
command pins, Go's tree-note vectors are reproduced, every malformed body or tampered checkpoint is
refused with a clear error, and garbage raises nothing but the module's errors."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from hypothesis import given, settings
from hypothesis import strategies as st
from refstack_lite_client.transparency import checkpoint, note
from refstack_lite_client.transparency.checkpoint import (
    Checkpoint,
    CheckpointError,
    MalformedCheckpoint,
    UnexpectedOrigin,
)
from refstack_lite_client.transparency.note import InvalidSignature, NoteError, Signer, UnverifiedNote

# The verifier key of sum.golang.org as the go command pins it:
# https://github.com/golang/go/blob/master/src/cmd/go/internal/modfetch/key.go (knownGOSUMDB).
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_ORIGIN = "go.sum database tree"
# Checkpoints signed by sum.golang.org, as its /latest and /lookup endpoints serve them (copied from
# published responses: the first is quoted in Sigsum's proposal to adopt the checkpoint format). That
# they verify with the pinned key above is what makes them authentic test vectors.
SUMDB_CHECKPOINTS = {
    15368405: (
        "go.sum database tree\n15368405\n/g9am3I6YWNKaZX/jkne1fqd9zEyjss+JXyPXG0WfkY=\n\n"
        "— sum.golang.org Az3grqJGUaSGukG9p8nI2vKgiFn7qGHxn0W+mrwyI6Gz3F0t1J3LzmWk/p96Ybf295EjwdSwlzgijq5WA9d1Ded7owM=\n"
    ),
    63512409: (
        "go.sum database tree\n63512409\nF7eHRPqN/cqPtqti14NKdGGaI1Giw8coWP3KxihFZbg=\n\n"
        "— sum.golang.org Az3gri1OBHKT87Xj8UXU8zjoHGy/X+7Nl94f8TZkELVaasolmGApUsWqwVG9vE6hgqYb/ph/w2vdkLIVRH7bMB/FPQ4=\n"
    ),
}
# golang.org/x/mod/sumdb/tlog's TestFormatTree/TestParseTree: the tree of 123456789012 leaves whose
# root is RecordHash("hello world"), i.e. SHA-256(0x00 || "hello world").
# https://github.com/golang/mod/blob/master/sumdb/tlog/note_test.go
GO_TREE_TEXT = "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n"
GO_TREE_ROOT = hashlib.sha256(b"\x00hello world").digest()
# The example of https://github.com/C2SP/C2SP/blob/main/tlog-checkpoint.md (its public key is not published).
C2SP_EXAMPLE = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
ORIGIN = "refstack.example.org/log"
ROOT = hashlib.sha256(b"a root").digest()


def sumdb() -> note.VerifierKey:
    return note.parse_verifier_key(SUMDB_VKEY)


def signer(seed: int = 1, name: str = ORIGIN) -> Signer:
    return Signer(name, ed25519.Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))


# --- vectors


@pytest.mark.parametrize("size", sorted(SUMDB_CHECKPOINTS))
def test_real_sumdb_checkpoints_verify_with_the_pinned_key(size: int) -> None:
    message = SUMDB_CHECKPOINTS[size]
    opened = checkpoint.open_checkpoint(message, [sumdb()], origin=SUMDB_ORIGIN)
    assert opened.checkpoint.origin == SUMDB_ORIGIN
    assert opened.checkpoint.size == size
    assert base64.b64encode(opened.checkpoint.root_hash).decode() == message.split("\n")[2]
    assert opened.checkpoint.extensions == ()
    assert [sig.name for sig in opened.note.verified] == ["sum.golang.org"]
    assert opened.checkpoint.text == opened.note.text  # parsing and writing the body are inverse


def test_go_tree_note_vector_is_written_and_read() -> None:
    tree = Checkpoint(SUMDB_ORIGIN, 123456789012, GO_TREE_ROOT)
    assert tree.text == GO_TREE_TEXT
    assert checkpoint.parse_checkpoint(GO_TREE_TEXT) == tree


def test_go_trailing_lines_are_extension_lines() -> None:
    parsed = checkpoint.parse_checkpoint(GO_TREE_TEXT + "JOE\n" * 3)
    assert parsed.extensions == ("JOE", "JOE", "JOE")
    assert parsed.text == GO_TREE_TEXT + "JOE\nJOE\nJOE\n"


def test_the_c2sp_example_parses_and_its_unknown_key_is_not_trusted() -> None:
    body = note.parse_note(C2SP_EXAMPLE).text
    parsed = checkpoint.parse_checkpoint(body)
    assert (parsed.origin, parsed.size, len(parsed.root_hash)) == ("example.com/behind-the-sofa", 20852163, 32)
    with pytest.raises(UnverifiedNote):
        checkpoint.open_checkpoint(C2SP_EXAMPLE, [sumdb()], origin="example.com/behind-the-sofa")


# --- tampering


def tampered(size: int, line: int, new: str) -> str:
    lines = SUMDB_CHECKPOINTS[size].split("\n")
    lines[line] = new
    return "\n".join(lines)


def test_a_changed_size_is_refused() -> None:
    with pytest.raises(InvalidSignature, match=r"sum.golang.org\+033de0ae does not verify"):
        checkpoint.open_checkpoint(tampered(15368405, 1, "15368406"), [sumdb()], origin=SUMDB_ORIGIN)


def test_a_changed_root_is_refused() -> None:
    other_root = base64.b64encode(hashlib.sha256(b"another tree").digest()).decode()
    with pytest.raises(InvalidSignature):
        checkpoint.open_checkpoint(tampered(15368405, 2, other_root), [sumdb()], origin=SUMDB_ORIGIN)


def test_an_added_extension_line_is_refused() -> None:
    message = SUMDB_CHECKPOINTS[15368405].replace("=\n\n", "=\nextra\n\n", 1)
    with pytest.raises(InvalidSignature):
        checkpoint.open_checkpoint(message, [sumdb()], origin=SUMDB_ORIGIN)


def test_reordered_lines_are_refused() -> None:
    lines = SUMDB_CHECKPOINTS[15368405].split("\n")
    lines[1], lines[2] = lines[2], lines[1]
    with pytest.raises(InvalidSignature):
        checkpoint.open_checkpoint("\n".join(lines), [sumdb()], origin=SUMDB_ORIGIN)


def test_a_checkpoint_without_the_trailing_newline_is_refused() -> None:
    with pytest.raises(note.MalformedNote, match="does not end in a newline"):
        checkpoint.open_checkpoint(SUMDB_CHECKPOINTS[15368405].rstrip("\n"), [sumdb()], origin=SUMDB_ORIGIN)


def test_a_checkpoint_re_signed_by_another_key_with_the_log_name_is_refused() -> None:
    forged = checkpoint.sign_checkpoint(Checkpoint(SUMDB_ORIGIN, 15368406, ROOT), signer(5, name="sum.golang.org"))
    with pytest.raises(UnverifiedNote, match="no signature by a known key"):
        checkpoint.open_checkpoint(forged, [sumdb()], origin=SUMDB_ORIGIN)


def test_a_wrong_key_hash_is_not_trusted() -> None:
    message = SUMDB_CHECKPOINTS[15368405].replace("Az3grq", "Az3gsq")  # the key hash's fourth byte
    with pytest.raises(
        UnverifiedNote, match=r"no signature by a known key \(it is signed by: sum.golang.org\+033de0b2\)"
    ):
        checkpoint.open_checkpoint(message, [sumdb()], origin=SUMDB_ORIGIN)


def test_a_checkpoint_of_another_log_is_refused() -> None:
    ours = signer()
    message = checkpoint.sign_checkpoint(Checkpoint("refstack.example.org/staging", 3, ROOT), ours)
    with pytest.raises(
        UnexpectedOrigin, match=r"of the log 'refstack\.example\.org/staging', not of 'refstack\.example\.org/log'"
    ):
        checkpoint.open_checkpoint(message, [ours.verifier], origin=ORIGIN)


def test_a_signed_note_that_is_not_a_checkpoint_is_refused() -> None:
    ours = signer()
    with pytest.raises(MalformedCheckpoint, match="at least three lines"):
        checkpoint.open_checkpoint(note.sign_note("just a note\n", ours), [ours.verifier], origin=ORIGIN)


# --- building and round trips


@settings(max_examples=60, deadline=None)
@given(
    origin=st.text(st.characters(exclude_categories=["Cs"], min_codepoint=0x20), min_size=1, max_size=40),
    size=st.integers(0, checkpoint.MAX_TREE_SIZE),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(st.text(st.characters(exclude_categories=["Cs"], min_codepoint=0x20), min_size=1), max_size=3),
)
def test_what_is_signed_opens_to_the_same_checkpoint(
    origin: str, size: int, root: bytes, extensions: list[str]
) -> None:
    built = Checkpoint(origin, size, root, tuple(extensions))
    ours = signer()
    opened = checkpoint.open_checkpoint(checkpoint.sign_checkpoint(built, ours), [ours.verifier], origin=origin)
    assert opened.checkpoint == built


def test_witness_signatures_are_kept_when_the_log_signs_again() -> None:
    log, witness = signer(1), signer(2, name="witness.example.org")
    tree = Checkpoint(ORIGIN, 7, ROOT)
    cosigned = note.open_note(checkpoint.sign_checkpoint(tree, log, witness), [log.verifier, witness.verifier])
    message = checkpoint.sign_checkpoint(tree, log, keep=cosigned.verified)
    opened = checkpoint.open_checkpoint(message, [log.verifier, witness.verifier], origin=ORIGIN)
    assert [sig.name for sig in opened.note.verified] == ["witness.example.org", ORIGIN]
    # Without the witness's key its signature is passed over, not trusted and not refused.
    only_log = checkpoint.open_checkpoint(message, [log.verifier], origin=ORIGIN)
    assert [sig.name for sig in only_log.note.unverified] == ["witness.example.org"]


def test_the_empty_tree_has_size_zero() -> None:
    empty = Checkpoint(ORIGIN, 0, hashlib.sha256(b"").digest())
    assert empty.text.split("\n")[1] == "0"
    assert checkpoint.parse_checkpoint(empty.text) == empty


# --- malformed bodies

ROOT_TEXT = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (f"{ORIGIN}\n12\n{ROOT_TEXT}", "must end in a newline"),
        (f"{ORIGIN}\n12\n", "at least three lines"),
        ("", "must end in a newline"),
        (f"\n12\n{ROOT_TEXT}\n", "origin line \\(line 1\\) is empty"),
        (f"{ORIGIN}\n012\n{ROOT_TEXT}\n", "without leading zeros"),
        (f"{ORIGIN}\n00\n{ROOT_TEXT}\n", "without leading zeros"),
        (f"{ORIGIN}\n-1\n{ROOT_TEXT}\n", "decimal digits"),
        (f"{ORIGIN}\n+1\n{ROOT_TEXT}\n", "decimal digits"),
        (f"{ORIGIN}\n 1\n{ROOT_TEXT}\n", "decimal digits"),
        (f"{ORIGIN}\n1_000\n{ROOT_TEXT}\n", "decimal digits"),
        (f"{ORIGIN}\n0xabcdef\n{ROOT_TEXT}\n", "decimal digits"),  # Go's bad tree
        (f"{ORIGIN}\n\u0661\u0662\n{ROOT_TEXT}\n", "decimal digits"),  # Arabic-Indic digits, which int() reads
        (f"{ORIGIN}\n\n{ROOT_TEXT}\n", "decimal digits"),
        (f"{ORIGIN}\n{2**63}\n{ROOT_TEXT}\n", "from 0 to 9223372036854775807"),
        (f"{ORIGIN}\n{'9' * 5000}\n{ROOT_TEXT}\n", "decimal digits"),
        (f"{ORIGIN}\n12\n{base64.b64encode(ROOT[:31]).decode()}\n", "has 31 bytes, not 32"),
        (f"{ORIGIN}\n12\n{base64.b64encode(ROOT + b'x').decode()}\n", "has 33 bytes, not 32"),
        (f"{ORIGIN}\n12\n{ROOT.hex()}\n", "has 48 bytes, not 32"),
        (f"{ORIGIN}\n12\n{ROOT_TEXT.rstrip('=')}\n", "not base64"),
        (f"{ORIGIN}\n12\n{ROOT_TEXT[:-2]}{chr(ord(ROOT_TEXT[-2]) + 1)}=\n", "not canonical base64"),
        (f"{ORIGIN}\n12\n{ROOT_TEXT} \n", "not base64"),
        (f"{ORIGIN}\n12\n\n", "has 0 bytes, not 32"),
        (
            "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n",
            "has 35 bytes",
        ),  # Go's
        (f"{ORIGIN}\n12\n{ROOT_TEXT}\n\nextension\n", "extension line 1 must be a non-empty line"),
        (f"{ORIGIN}\n12\n{ROOT_TEXT}\nok\n\n", "extension line 2 must be a non-empty line"),
        (f"{ORIGIN}\t\n12\n{ROOT_TEXT}\n", "origin must be one line without control characters"),
    ],
)
def test_malformed_checkpoint_bodies_say_why(text: str, reason: str) -> None:
    with pytest.raises(MalformedCheckpoint, match=reason):
        checkpoint.parse_checkpoint(text)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"origin": ""}, "origin must be a non-empty line"),
        ({"origin": "two\nlines"}, "control characters"),
        ({"origin": "surrogate \ud800"}, "not valid UTF-8"),
        ({"size": -1}, "whole number from 0"),
        ({"size": 2**63}, "whole number from 0"),
        ({"size": True}, "whole number from 0"),
        ({"size": 1.0}, "whole number from 0"),
        ({"root_hash": ROOT[:31]}, "32 bytes"),
        ({"root_hash": ROOT_TEXT}, "32 bytes"),
        ({"extensions": ("",)}, "extension line 1 must be a non-empty line"),
        ({"extensions": ("ok", "a\nb")}, "extension line 2 must be one line"),
    ],
)
def test_checkpoints_that_cannot_be_built_say_why(fields: dict[str, object], reason: str) -> None:
    values: dict[str, object] = {"origin": ORIGIN, "size": 1, "root_hash": ROOT, "extensions": ()} | fields
    with pytest.raises(MalformedCheckpoint, match=reason):
        Checkpoint(**values)  # type: ignore[arg-type]


# --- garbage never crashes


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(
        st.text(max_size=50) | st.sampled_from(["0", "1", "007", ROOT_TEXT, ORIGIN, "", "\u2014 x AAAAAAA="]),
        max_size=6,
    ),
    end=st.sampled_from(["", "\n"]),
)
def test_garbage_bodies_raise_only_malformed_checkpoint(lines: list[str], end: str) -> None:
    text = "\n".join(lines) + end
    try:
        parsed = checkpoint.parse_checkpoint(text)
    except MalformedCheckpoint:
        return
    assert parsed.text == text  # whatever is accepted has exactly one spelling


@settings(max_examples=200, deadline=None)
@given(message=st.binary(max_size=300))
def test_garbage_signed_checkpoints_raise_only_their_errors(message: bytes) -> None:
    with pytest.raises((NoteError, CheckpointError)):  # random bytes never carry sum.golang.org's signature
        checkpoint.open_checkpoint(message, [sumdb()], origin=SUMDB_ORIGIN)
