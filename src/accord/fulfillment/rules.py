"""Record-level rules: Ibis expressions the source engine computes, and the keyed hash.

Generalising rules (month, year, ZIP3, age band) are expressions, so the engine where the data
lives does the work and only the generalised value crosses the wire. A date may be a real
DATE / TIMESTAMP or ISO text (SQLite keeps dates as text): text is cut by position, which is
what ISO 8601 is designed for.

The keyed hash cannot be pushed down: none of these engines has HMAC. The column travels as
it is and is replaced in Arrow by HMAC-SHA-256(key, canonical text), truncated to its first
128 bits and written as 32 hex digits: far past any chance of two people sharing one (that
would take some 2^64 of them), and at 10M rows the package is 40% smaller and faster to
write than with all 256 bits (bench/fulfillment_bench.py). A pseudonym is the first half of
the 64 digits packages carried before, so a recipient can still link those. The
canonical text is made in Arrow, not by the engine's own cast, because engines render the same
value differently (a DECIMAL 42 is "42.00" in PostgreSQL, a float "42.0" in Spark): integers
as decimal digits, decimals and floats without trailing zeros, dates as ISO text, booleans as
"true"/"false". So 42 gives one pseudonym whichever engine read it, and so does "A12".
"""

from __future__ import annotations

import hashlib

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from accord.fulfillment.plan import Rule

# Rules the engine computes; DROP is never selected and PSEUDONYMISE is done in Arrow.
PUSHED_DOWN = frozenset({Rule.KEEP, Rule.MONTH, Rule.YEAR, Rule.ZIP3, Rule.AGE_BAND})


def rule_expr(column: ir.Column, rule: Rule) -> ir.Value:
    """The value ``rule`` makes of ``column``, as an expression for the source engine.

    PSEUDONYMISE returns the column unchanged (it is hashed afterwards, see ``pseudonymise``).
    Raises ValueError for DROP, which is never selected.
    """
    if rule is Rule.DROP:
        raise ValueError("A dropped field is never selected.")
    if rule in (Rule.KEEP, Rule.PSEUDONYMISE):
        return column
    dtype = column.type()
    if rule is Rule.MONTH:
        if dtype.is_temporal():
            return column.strftime("%Y-%m")
        return column.cast("string").substr(0, 7)
    if rule is Rule.YEAR:
        if dtype.is_temporal():
            return column.year().cast("int32")
        return column.cast("string").substr(0, 4).cast("int32")
    if rule is Rule.ZIP3:
        if dtype.is_numeric():  # 02134 kept as a number has lost its leading zero
            return column.cast("int64").cast("string").lpad(5, "0").substr(0, 3)
        return column.cast("string").substr(0, 3)
    return _age_band(column)


def _age_band(column: ir.Column) -> ir.Value:
    """ "40-49" style ten-year bands; 90 and over as "90+" (Safe Harbor aggregates them)."""
    dtype = column.type()
    age = column if dtype.is_numeric() else column.cast("float64")
    years = age.floor() if not dtype.is_integer() else age
    low = (years // 10) * 10
    band = low.cast("int64").cast("string").concat("-", (low + 9).cast("int64").cast("string"))
    return ibis.cases((age.isnull(), ibis.null("string")), (age >= 90, "90+"), else_=band)


def canonical_text(values: pa.Array) -> pa.Array:
    """The text a value is hashed as: the same for the same value from any engine."""
    kind = values.type
    if pa.types.is_dictionary(kind):
        values, kind = values.cast(kind.value_type), kind.value_type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return values.cast(pa.string())
    if pa.types.is_integer(kind):
        return pc.cast(values, pa.string())
    if pa.types.is_boolean(kind):
        return pc.if_else(values, "true", "false")
    if pa.types.is_decimal(kind) or pa.types.is_floating(kind):
        text = pc.cast(values, pa.string())
        trimmed = pc.replace_substring_regex(text, r"(\.\d*?)0+$", r"\1")
        return pc.replace_substring_regex(trimmed, r"\.$", "")
    if pa.types.is_timestamp(kind):  # engines differ in unit: trim the zero fraction
        text = pc.strftime(values.cast(pa.timestamp("us", kind.tz)), format="%Y-%m-%dT%H:%M:%S")
        trimmed = pc.replace_substring_regex(text, r"\.0+$", "")
        return pc.replace_substring_regex(trimmed, r"(\.\d*?)0+$", r"\1")
    return pc.cast(values, pa.string())


class Pseudonymiser:
    """HMAC-SHA-256 under one key, remembering the pseudonyms it has made.

    An extraction reads a column batch by batch and the same ids come back in every batch; a
    remembered pseudonym costs a dictionary look-up instead of a hash. The memory is bounded
    (``remember`` values, about 200 bytes each) and simply forgotten when full.
    """

    def __init__(self, key: bytes, *, remember: int = 500_000) -> None:
        # HMAC (RFC 2104) from two pre-keyed SHA-256 states: copying a state is three times
        # faster than hmac.digest, which re-keys for every value. Same output, checked in tests.
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        padded = key.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))
        self._known: dict[bytes, str] = {}
        self._ids = _IdMemory()
        self._remember = remember

    def __call__(self, values: pa.Array | pa.ChunkedArray) -> pa.Array:
        """Each value's pseudonym as 32 hex digits; NULL stays NULL.

        Integer ids (the usual record key) are looked up a whole batch at a time in sorted
        arrays. Other values are grouped first (dictionary encoding), so each distinct value
        of a batch is made canonical and looked up once, however often it repeats.
        """
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if values.type in _SIGNED or values.type in _SMALL_UNSIGNED:
            return self._integers(values)
        encoded = values if pa.types.is_dictionary(values.type) else values.dictionary_encode()
        distinct = canonical_text(encoded.dictionary).cast(pa.binary()).to_pylist()
        known = self._known
        # Only values not yet known count against the bound: ids recur across batches, and
        # forgetting everything because a batch is large would hash them all again.
        missing = [v for v in distinct if v not in known]
        if len(known) + len(missing) > self._remember:
            known.clear()
            missing = distinct
        known.update(zip(missing, self._digests(missing).to_pylist(), strict=True))
        hashed = [known[v] for v in distinct]
        return pa.array(hashed, type=pa.string()).take(encoded.indices)

    def _integers(self, values: pa.Array) -> pa.Array:
        ids = values.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        memory = self._ids
        at = memory.find(ids)
        unknown = at < 0
        if unknown.any():
            fresh = _distinct(ids[unknown])
            if len(memory) + len(fresh) > self._remember:
                memory.clear()
                fresh = _distinct(ids)
            texts = canonical_text(pa.array(fresh)).cast(pa.binary()).to_pylist()
            memory.add(fresh, self._digests(texts))
            at = memory.find(ids)
        made = memory.made.take(pa.array(at))
        if values.null_count:
            made = pc.if_else(values.is_valid(), made, pa.scalar(None, pa.string()))
        return made

    def _digests(self, messages: list[bytes]) -> pa.Array:
        """The pseudonym of each message. The loop does only the hashing (its methods bound
        once); truncating and hex-encoding are done on all digests at once, and the array is
        built from the one hex buffer: a third faster than a hex string per value."""
        inner_copy, outer_copy, digests = self._inner.copy, self._outer.copy, []
        for message in messages:
            inner = inner_copy()
            inner.update(message)
            outer = outer_copy()
            outer.update(inner.digest())
            digests.append(outer.digest())
        raw = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(-1, _DIGEST_BYTES)
        text = raw[:, :PSEUDONYM_BYTES].tobytes().hex().encode()
        offsets = np.arange(len(digests) + 1, dtype=np.int32) * (2 * PSEUDONYM_BYTES)
        return pa.StringArray.from_buffers(
            len(digests), pa.py_buffer(offsets.tobytes()), pa.py_buffer(text)
        )


_BLOCK = 64  # SHA-256's block size in bytes
_DIGEST_BYTES = 32  # SHA-256's output
PSEUDONYM_BYTES = 16  # 128 bits of the HMAC (NIST SP 800-107 allows truncating it)
_SIGNED = {pa.int8(), pa.int16(), pa.int32(), pa.int64()}
_SMALL_UNSIGNED = {pa.uint8(), pa.uint16(), pa.uint32()}  # uint64 may not fit an int64


def _distinct(ids: NDArray[np.int64]) -> NDArray[np.int64]:
    """The distinct ids, sorted: numpy 2's ``unique`` (hash-based) took ten times as long."""
    ordered = np.sort(ids)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ids) else ordered


class _IdMemory:
    """The pseudonyms made of integer ids, found by binary search: ``keys`` sorted, ``where``
    the position of each key's pseudonym in ``made``. A batch is a few vectorised calls; a
    dict look-up per row (0.6 µs among 400,000 bytes keys) was most of a 10M-row extract."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.keys = np.empty(0, dtype=np.int64)
        self.where = np.empty(0, dtype=np.int64)
        self.made = pa.array([], type=pa.string())

    def __len__(self) -> int:
        return len(self.keys)

    def find(self, ids: NDArray[np.int64]) -> NDArray[np.int64]:
        """The position in ``made`` of each id's pseudonym, -1 where there is none yet."""
        if not len(self.keys):
            return np.full(len(ids), -1, dtype=np.int64)
        at = np.searchsorted(self.keys, ids)
        at[at == len(self.keys)] = 0
        return np.where(self.keys[at] == ids, self.where[at], -1)

    def add(self, ids: NDArray[np.int64], pseudonyms: pa.Array) -> None:
        """Remember ``pseudonyms[i]`` for ``ids[i]`` (ids unique and not yet known)."""
        order = np.argsort(ids, kind="stable")
        at = np.searchsorted(self.keys, ids[order])
        self.keys = np.insert(self.keys, at, ids[order])
        self.where = np.insert(self.where, at, len(self.made) + order)
        self.made = pa.concat_arrays([self.made, pseudonyms])


def pseudonymise(values: pa.Array | pa.ChunkedArray, key: bytes) -> pa.Array:
    """HMAC-SHA-256 of each value's canonical text under ``key``, as hex; NULL stays NULL."""
    return Pseudonymiser(key)(values)
