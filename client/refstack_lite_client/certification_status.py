"""``verify-certification --online``: the certification's status now, from the log.

The log's current checkpoint must extend the certificate's (and the one saved in ``--state``,
when newer): a consistency proof shows the log still holds, unchanged, the tree that recorded
the certificate. Every entry the log lists for the certification is proven in the new tree; the
last status entry is the status now (none: active, as issued).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from refstack_lite_client.certification_verification import Checked
from refstack_lite_client.check_outcome import NotVerified, Say
from refstack_lite_client.log_api import LogApi
from refstack_lite_client.log_state import LogState, load_state, save_state
from refstack_lite_client.transparency import log_entries, merkle
from refstack_lite_client.transparency.certificate_file import CertificateFile
from refstack_lite_client.transparency.checkpoint import Checkpoint, CheckpointError
from refstack_lite_client.transparency.note import NoteError
from refstack_lite_client.transparency.pinned_key import PinnedKey, open_pinned_checkpoint
from refstack_lite_client.transparency.tree_heads import check_extends

ACTIVE = "active"


@dataclass(frozen=True)
class Status:
    status: str
    since: str | None
    reasons: tuple[str, ...]

    def said(self) -> str:
        text = self.status + (f" since {self.since}" if self.since else "")
        return text + (f" ({'; '.join(self.reasons)})" if self.reasons else "")


def check_online(
    checked: Checked, file: CertificateFile, pinned: PinnedKey, log: LogApi, state: Path | None, say: Say
) -> Status:
    """Prove the log still holds the certificate's entry, and read the certification's status now."""
    note = log.checkpoint()
    try:
        opened, _ = open_pinned_checkpoint(note, pinned)
    except (NoteError, CheckpointError) as err:
        raise NotVerified(f"the log's current checkpoint at {log.url}: {err}") from None
    new = opened.checkpoint
    if new.origin != checked.origin:
        raise NotVerified(f"the log at {log.url} is {new.origin!r}, not the certificate's log {checked.origin!r}")
    saved = _saved(state, pinned, checked.origin)
    olds = [(file.log.size, checked.checkpoint.checkpoint.root_hash, "the certificate's checkpoint")]
    if saved is not None:
        olds.append((saved.size, saved.root, f"the checkpoint saved in {state} on {saved.verified_at}"))
    for size, root, said in olds:
        check_extends(size, root, said, new, log.consistency)
    sizes = " and ".join(f"{said} ({size} entries)" for size, _, said in olds)
    say(f"log now:    {new.size} entries at {log.url}, consistent with {sizes}")
    status = _status(checked, file, log, new)
    say(f"status:     certification {checked.certificate.certification_id} is {status.said()}")
    if state is not None:
        _save(state, saved, new, note, say)
    return status


def _saved(state: Path | None, pinned: PinnedKey, origin: str) -> LogState | None:
    found = load_state(state) if state is not None else None
    if found is None:
        return None
    try:
        checkpoint = open_pinned_checkpoint(found.checkpoint, pinned)[0].checkpoint
    except (NoteError, CheckpointError) as err:
        raise NotVerified(f"the checkpoint saved in {state}: {err}") from None
    if checkpoint.origin != origin:
        raise NotVerified(f"the checkpoint saved in {state} is of the log {checkpoint.origin!r}, not {origin!r}")
    if (checkpoint.size, checkpoint.root_hash) != (found.size, found.root):
        raise NotVerified(f"the state file {state} is damaged: its size and root are not its checkpoint's")
    return found


def _status(checked: Checked, file: CertificateFile, log: LogApi, new: Checkpoint) -> Status:
    certification = checked.certificate.certification_id
    listed = log.certification_entries(certification)
    if (file.log.index, file.log.entry) not in listed:
        raise NotVerified(
            f"the log no longer lists the certificate's entry {file.log.index} among those of certification {certification}"
        )
    status = Status(ACTIVE, None, ())
    for index, data in sorted(listed):
        try:
            entry = log_entries.parse_entry(data)
        except log_entries.MalformedEntry as err:
            raise NotVerified(f"the log's entry {index}: {err}") from None
        if entry.fields.get("certification") != certification:
            raise NotVerified(f"the log listed entry {index} for certification {certification}, but it is not about it")
        try:
            merkle.verify_inclusion(
                merkle.leaf_hash(data), index, new.size, log.inclusion(index, new.size), new.root_hash
            )
        except merkle.InclusionProofError as err:
            raise NotVerified(
                f"the log's entry {index} is not proven in its tree of {new.size} entries: {err}"
            ) from None
        if entry.kind == log_entries.CERTIFICATION_STATUS:
            fields = entry.fields
            reasons = fields["reasons"] if isinstance(fields["reasons"], list) else []
            since = fields["since"] if isinstance(fields["since"], str) else None
            status = Status(str(fields["status"]), since, tuple(str(reason) for reason in reasons))
    return status


def _save(state: Path, saved: LogState | None, new: Checkpoint, note: str, say: Say) -> None:
    if saved is not None and saved.frontier is not None:
        say(f"state:      {state} is a log monitor's state: left for 'log monitor' to update")
        return
    verified_at = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    save_state(state, LogState(new.origin, new.size, new.root_hash, note, verified_at))
    say(f"state:      saved the checkpoint of {new.size} entries to {state}")
