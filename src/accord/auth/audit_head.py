"""The audit chain's head, anchored outside the database in an append-only file.

The chain in the database detects edits and deletions, but someone who can write the database
can cut the last entries *and* rewind the ``audit_head`` row to match: what is left is still a
valid chain. So after every committed transaction that recorded audit entries, the new head
(sequence number and entry hash) is appended as one line to ``DATA_DIR/audit-head.log``::

    <seq> <entry hash> <anchored at, UTC ISO 8601> <HMAC-SHA256 over the first three>

The MAC is keyed with a key derived from the secret key (never the raw key, so a leak of one
use does not hand over the other). ``accord audit verify`` refuses a chain shorter than the
last anchored sequence number or one whose hash at an anchored number differs.

Several processes append at once (server workers, the job worker, the CLI). Each line is one
``write()`` on a descriptor opened ``O_APPEND``, under an exclusive ``flock`` (per open file
description, so it also orders threads of one process, which POSIX ``lockf`` would not), then
``fsync`` (after the lock is released, so writers do not queue behind each other's disk
flush). Under that lock the writer reads the last line and skips its own head if a later one
is already there: commits can finish out of order, a later head covers every earlier entry
(the chain links them), and so the file's sequence numbers strictly increase.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

HEAD_KEY_LABEL = b"accord audit head file v1"
TAIL_BYTES = 4096  # more than one line; enough to find the last one
LINE = re.compile(r"^([1-9][0-9]*) ([0-9a-f]{64}) (\S+) ([0-9a-f]{64})$")


def head_key(secret_key: bytes) -> bytes:
    """The head file's MAC key: HMAC of a fixed label under the secret key (a one-step KDF)."""
    return hmac.new(secret_key, HEAD_KEY_LABEL, hashlib.sha256).digest()


def _mac(key: bytes, seq: int, entry_hash: str, at: str) -> str:
    return hmac.new(key, f"{seq} {entry_hash} {at}".encode(), hashlib.sha256).hexdigest()


def format_line(key: bytes, seq: int, entry_hash: str, at: datetime) -> bytes:
    stamp = at.astimezone(UTC).isoformat(timespec="microseconds")
    return f"{seq} {entry_hash} {stamp} {_mac(key, seq, entry_hash, stamp)}\n".encode()


def append_head(path: Path, key: bytes, seq: int, entry_hash: str) -> bool:
    """Append the head ``(seq, entry_hash)`` unless a later one is already anchored.

    Returns whether a line was written. Raises ``OSError`` if the file cannot be written.
    """
    line = format_line(key, seq, entry_hash, datetime.now(UTC))
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        last = _last_seq(fd)
        if last is not None and last >= seq:
            return False
        os.write(fd, line)  # one write of < 200 bytes: never split, never interleaved
        # The order is settled: let the next writer in while this one waits for the disk
        # (the fsync is most of the cost, and it flushes every line written before it).
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.fsync(fd)
        return True
    finally:
        os.close(fd)  # also releases the lock if still held


def _last_seq(fd: int) -> int | None:
    size = os.fstat(fd).st_size
    if size == 0:
        return None
    tail = os.pread(fd, min(size, TAIL_BYTES), max(0, size - TAIL_BYTES))
    lines = tail.rstrip(b"\n").rsplit(b"\n", 1)
    head, _, _ = lines[-1].partition(b" ")
    # A malformed last line is left for `verify` to report; it does not stop anchoring.
    return int(head) if head.isdigit() else None


@dataclass(frozen=True)
class Anchor:
    line: int  # 1-based line number in the file
    seq: int
    hash: str
    at: str


class HeadFileBroken(Exception):
    """A line of the head file is malformed, forged, or goes backwards."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line} of the audit head file {reason}")
        self.line = line


def read_heads(path: Path, key: bytes) -> Iterator[Anchor]:
    """The file's anchors in order, each checked (format, MAC, strictly increasing seq).

    Read lazily, so a file of millions of lines costs no memory. Raises ``HeadFileBroken``
    at the first bad line; yields nothing if the file does not exist.
    """
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return
    previous = 0
    with handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.endswith(b"\n"):
                raise HeadFileBroken(number, "is incomplete (a write was cut short)")
            match = LINE.match(raw[:-1].decode("ascii", errors="replace"))
            if match is None:
                raise HeadFileBroken(number, "is not a head line")
            seq, entry_hash, at, mac = int(match[1]), match[2], match[3], match[4]
            if not hmac.compare_digest(mac, _mac(key, seq, entry_hash, at)):
                raise HeadFileBroken(number, "does not match its MAC (forged or edited)")
            if seq <= previous:
                raise HeadFileBroken(number, f"goes backwards (entry {seq} after entry {previous})")
            previous = seq
            yield Anchor(number, seq, entry_hash, at)
