"""Writing, reading, verifying and pruning the audit log (docs/security.md, "The audit log").

One chain for the whole deployment. :meth:`AuditLog.write` opens a transaction whose first
statement updates the single ``audit_chain`` row (``head_seq + n``, returning the previous
head's hash): that update takes the row lock on PostgreSQL and the database's write lock on
SQLite, so writers in any process or host append one transaction at a time, each after the row
before it; the rows and the new head are written in the same transaction. Within a process the
threads that arrive while a write is in flight are written together next (group commit).
Cost: three statements in one transaction per group (bench/results/audit-*.md).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from facesaas.audit.chain import canonical_decision, format_time, row_hash
from facesaas.audit.models import CHAIN_ID, AuditChain, AuditRow
from facesaas.errors import AuditUnavailable
from facesaas.storage.database import Database, as_utc, database_error

__all__ = ["AuditEntry", "AuditLog", "ChainHead", "Problem", "VerifyReport", "PruneReport", "PRUNE_ENDPOINT"]

log = logging.getLogger("facesaas.audit")

PRUNE_ENDPOINT = "audit:prune"
"""The ``endpoint`` of the row a prune appends (who pruned what is itself in the chain)."""

PRUNE_BATCH = 10_000
"""Rows deleted per prune transaction: about a second of holding the chain lock."""


@dataclass(frozen=True)
class AuditEntry:
    """What one decision records. ``decision`` holds the result, scores, thresholds and
    calibration (plain JSON data; never images, features or secrets); None for a refusal."""

    endpoint: str
    request_id: str
    tenant_id: int | None = None
    access_id: str | None = None
    http_status: int | None = None
    rtn: int | None = None
    decision: dict[str, Any] | None = None


@dataclass
class _Pending:
    """An entry waiting for its group's commit."""

    entry: AuditEntry
    done: bool = False
    result: tuple[int, str] | None = None
    failure: tuple[str, BaseException] | None = None
    """Why the group's transaction failed, and the database's exception."""


@dataclass(frozen=True)
class ChainHead:
    """Where the chain ends and where it starts. Copy ``head_seq:head_hash`` somewhere the
    database's administrators cannot write (``facesaas audit head``): a later ``verify
    --expect`` then detects a rewritten chain or deleted newest rows."""

    head_seq: int
    head_hash: str
    anchor_seq: int
    anchor_hash: str
    anchor_at: dt.datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {"head_seq": self.head_seq, "head_hash": self.head_hash, "anchor_seq": self.anchor_seq,
                "anchor_hash": self.anchor_hash,
                "anchor_at": None if self.anchor_at is None else format_time(self.anchor_at)}  # fmt: skip


@dataclass(frozen=True)
class Problem:
    """The first thing wrong: at row ``seq``, of ``kind`` "edited" (its fields do not give its
    hash), "missing" (rows absent), "reordered" (a row with a valid hash that does not follow
    the row before it: moved, inserted or replaced), "inserted" (a row before the anchor) or
    "expected" (differs from a head recorded elsewhere)."""

    seq: int
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"row {self.seq}: {self.kind}: {self.detail}"


@dataclass
class VerifyReport:
    head: ChainHead
    rows: int = 0
    problem: Problem | None = None
    unchecked: list[str] = field(default_factory=list)
    """Expected heads that could not be checked (pruned since)."""

    @property
    def ok(self) -> bool:
        return self.problem is None

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "rows": self.rows, **self.head.as_dict(),
                "problem": None if self.problem is None else {"seq": self.problem.seq, "kind": self.problem.kind,
                                                               "detail": self.problem.detail},
                "unchecked": self.unchecked}  # fmt: skip


@dataclass(frozen=True)
class PruneReport:
    before: dt.datetime
    deleted: int
    anchor_seq: int
    anchor_hash: str

    def as_dict(self) -> dict[str, Any]:
        return {"before": format_time(self.before), "deleted": self.deleted, "anchor_seq": self.anchor_seq,
                "anchor_hash": self.anchor_hash}  # fmt: skip


def _fields(row: Any) -> dict[str, Any]:
    return {"seq": int(row.seq), "at": as_utc(row.at), "tenant_id": row.tenant_id, "access_id": row.access_id,
            "endpoint": row.endpoint, "request_id": row.request_id, "http_status": row.http_status, "rtn": row.rtn,
            "decision": row.decision, "model": row.model, "prev_hash": row.prev_hash}  # fmt: skip


def row_as_dict(row: Any) -> dict[str, Any]:
    """A stored row for ``facesaas audit show``: its fields, ``decision`` parsed, the hashes."""
    fields = _fields(row)
    fields["at"] = format_time(fields["at"])
    fields["decision"] = json.loads(row.decision)
    fields["row_hash"] = row.row_hash
    return fields


def check_chain(rows: Iterable[Any], anchor_seq: int, anchor_hash: str, head_seq: int, head_hash: str | None,
                wanted: Iterable[int] = ()) -> tuple[int, Problem | None, dict[int, str]]:  # fmt: skip
    """Walk ``rows`` (ascending ``seq``, none above ``head_seq``) from the anchor: how many were
    checked, the first problem (or None) and the hashes of the ``wanted`` rows. ``head_hash``
    None: the last row's hash is not compared with a head (a stretch, as prune checks). Pure."""
    want = set(wanted)
    seen: dict[int, str] = {}
    expected, prev, count = anchor_seq + 1, anchor_hash, 0
    for row in rows:
        seq = int(row.seq)
        if seq <= anchor_seq:
            return count, Problem(seq, "inserted", f"a row at or before the anchor (row {anchor_seq}, pruned up to)"), seen
        if seq > expected:
            gap = f"row {expected} is" if seq == expected + 1 else f"rows {expected}–{seq - 1} are"
            return count, Problem(expected, "missing", f"{gap} missing (deleted)"), seen
        if row_hash(_fields(row)) != row.row_hash:
            return count, Problem(seq, "edited", "its fields do not give its row_hash (a field was changed)"), seen
        if row.prev_hash != prev:
            before = "the anchor" if seq == anchor_seq + 1 else f"row {seq - 1}"
            return count, Problem(seq, "reordered", f"its prev_hash is not the row_hash of {before}: rows were "
                                                    "reordered, inserted or replaced"), seen  # fmt: skip
        if seq in want:
            seen[seq] = row.row_hash
        prev, expected, count = row.row_hash, expected + 1, count + 1
    if expected - 1 != head_seq:
        gap = f"row {expected} is" if expected == head_seq else f"rows {expected}–{head_seq} are"
        return count, Problem(expected, "missing", f"the head is row {head_seq} but {gap} missing (the newest rows "
                                                   "were deleted)"), seen  # fmt: skip
    if head_hash is not None and prev != head_hash:
        return count, Problem(head_seq, "edited", "the last row's hash is not the head hash"), seen
    return count, None, seen


class AuditLog:
    """The audit log in ``database``, written with the ``model`` descriptor of this process
    (:func:`facesaas.audit.model_version`). Thread-safe; one instance per process."""

    def __init__(self, database: Database, model: str = "", clock: Any = None) -> None:
        self._database = database
        self._engine = database.engine
        self.model = model
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._waiting: list[_Pending] = []
        self._writing = False
        self._turn = threading.Condition()

    # --- writing ---------------------------------------------------------------------------

    def _append(self, connection: Connection, entries: list[AuditEntry]) -> list[tuple[int, str]]:
        # The lock first: every writer's first statement updates the one chain row, taking as
        # many sequence numbers as it has rows.
        last, prev = connection.execute(
            update(AuditChain).where(AuditChain.id == CHAIN_ID).values(head_seq=AuditChain.head_seq + len(entries))
            .returning(AuditChain.head_seq, AuditChain.head_hash)
        ).one()  # fmt: skip
        at = self._clock()  # read under the lock: times never go backwards along the chain
        rows, written = [], []
        for seq, entry in enumerate(entries, start=int(last) - len(entries) + 1):
            values = {"seq": seq, "at": at, "tenant_id": entry.tenant_id, "access_id": entry.access_id,
                      "endpoint": entry.endpoint, "request_id": entry.request_id, "http_status": entry.http_status,
                      "rtn": entry.rtn, "decision": canonical_decision(entry.decision), "model": self.model,
                      "prev_hash": prev}  # fmt: skip
            values["row_hash"] = prev = row_hash(values)
            rows.append(values)
            written.append((seq, prev))
        connection.execute(insert(AuditRow), rows)
        connection.execute(update(AuditChain).where(AuditChain.id == CHAIN_ID).values(head_hash=prev))
        return written

    def write(self, entry: AuditEntry) -> tuple[int, str]:
        """Append ``entry``; returns its sequence number and hash once committed. Raises
        AuditUnavailable (503, rtn -5013) when it cannot be written: the caller withholds the
        answer. Blocking.

        Group commit: while one thread of this process writes, the entries of the threads that
        arrive meanwhile wait and are then written together by one of them, in one transaction
        (one chain lock, one commit). Alone, a write is one transaction of its own; under load
        the chain's throughput grows with the batch instead of stopping at one row per commit."""
        pending = _Pending(entry)
        with self._turn:
            self._waiting.append(pending)
            while self._writing and not pending.done:
                self._turn.wait()
            if not pending.done:  # this thread writes everything waiting, its own entry included
                batch, self._waiting, self._writing = self._waiting, [], True
        if not pending.done:
            try:
                with self._engine.begin() as connection:
                    written = self._append(connection, [p.entry for p in batch])
                failure: tuple[str, BaseException] | None = None
            except SQLAlchemyError as exc:
                failure = (database_error(exc).message, exc)
            except Exception as exc:  # a decision that cannot be encoded: every row of the batch waits in vain
                failure = ("unexpected error", exc)
            with self._turn:
                for index, item in enumerate(batch):
                    item.done, item.failure = True, failure
                    item.result = None if failure is not None else written[index]
                self._writing = False
                self._turn.notify_all()
        if pending.failure is not None:  # a new exception per thread: tracebacks are per raise
            raise AuditUnavailable(pending.failure[0]) from pending.failure[1]
        assert pending.result is not None
        return pending.result

    # --- reading ---------------------------------------------------------------------------

    def head(self) -> ChainHead:
        """The chain's head and anchor. Cost: one row read."""
        with self._database.connect() as connection:
            return self._head(connection)

    @staticmethod
    def _head(connection: Connection) -> ChainHead:
        state = connection.execute(select(AuditChain).where(AuditChain.id == CHAIN_ID)).one()
        return ChainHead(int(state.head_seq), state.head_hash, int(state.anchor_seq), state.anchor_hash,
                         None if state.anchor_at is None else as_utc(state.anchor_at))  # fmt: skip

    def rows(self, *, tenant_id: int | None = None, access_id: str | None = None, request_id: str | None = None,
             endpoint: str | None = None, limit: int = 20) -> list[dict[str, Any]]:  # fmt: skip
        """The newest ``limit`` rows matching every filter given, oldest first."""
        query = select(AuditRow)
        if tenant_id is not None:
            query = query.where(AuditRow.tenant_id == tenant_id)
        if access_id is not None:
            query = query.where(AuditRow.access_id == access_id)
        if request_id is not None:
            query = query.where(AuditRow.request_id == request_id)
        if endpoint is not None:
            query = query.where(AuditRow.endpoint == endpoint)
        with self._database.connect() as connection:
            found = connection.execute(query.order_by(AuditRow.seq.desc()).limit(limit)).all()
        return [row_as_dict(row) for row in reversed(found)]

    @staticmethod
    def _walk(connection: Connection, last: int) -> Iterator[Any]:
        query = select(AuditRow).where(AuditRow.seq <= last).order_by(AuditRow.seq)
        yield from connection.execute(query.execution_options(yield_per=2000))  # streamed, not loaded whole

    # --- verifying -------------------------------------------------------------------------

    def verify(self, expect: Iterable[tuple[int, str]] = ()) -> VerifyReport:
        """Check the whole chain from the anchor to the head, and each ``(seq, hash)`` recorded
        elsewhere earlier (``facesaas audit head``). Reads a consistent snapshot (repeatable
        read); rows written meanwhile are after the head it read. Cost: one pass over the rows
        (~10 µs each)."""
        expected = list(expect)
        try:
            with self._engine.connect() as base:
                connection = base.execution_options(isolation_level="REPEATABLE READ") if base.dialect.name == "postgresql" else base
                with connection.begin():
                    head = self._head(connection)
                    rows = self._walk(connection, head.head_seq)
                    count, problem, seen = check_chain(rows, head.anchor_seq, head.anchor_hash, head.head_seq,
                                                       head.head_hash, [seq for seq, _ in expected])  # fmt: skip
        except SQLAlchemyError as exc:
            raise database_error(exc) from exc
        report = VerifyReport(head, count, problem)
        if problem is not None:
            return report
        seen[head.anchor_seq] = head.anchor_hash
        for seq, digest in sorted(expected):
            if seq > head.head_seq:
                report.problem = Problem(seq, "missing", f"row {seq} was recorded elsewhere as the head, but the chain "
                                                         f"ends at row {head.head_seq} (newest rows deleted)")  # fmt: skip
                return report
            if seq < head.anchor_seq:
                report.unchecked.append(f"{seq}: pruned (the chain starts after row {head.anchor_seq})")
                continue
            if seen.get(seq) != digest.lower():
                report.problem = Problem(seq, "expected", f"its hash is {seen.get(seq)}, recorded elsewhere as {digest}: "
                                                          "the chain was rewritten")  # fmt: skip
                return report
        return report

    # --- retention -------------------------------------------------------------------------

    def prune(self, before: dt.datetime, *, batch: int = PRUNE_BATCH) -> PruneReport:
        """Delete the oldest rows written before ``before``, up to (not past) the first row
        written at or after it, ``batch`` rows per transaction: each takes the chain lock,
        verifies the rows it deletes (a broken stretch is never pruned away: ValueError naming
        the problem, the rows deleted by earlier transactions stay deleted and the anchor
        covers them), deletes them, moves the anchor to the last one and appends a row
        recording that. Short transactions, because every writer waits for the chain lock.
        Nothing to delete: nothing changes. Cost per batch: one verification pass over its rows
        and one delete."""
        total, target = 0, None
        while True:
            try:
                with self._engine.begin() as connection:
                    step, target = self._prune_step(connection, before, batch, target)
            except SQLAlchemyError as exc:
                raise database_error(exc) from exc
            except ValueError as exc:
                done = f"{total} rows were deleted before it" if total else "nothing was deleted"
                raise ValueError(f"{exc}; {done}") from None
            if step.deleted == 0:  # its anchor is where the last batch left it
                return PruneReport(before, total, step.anchor_seq, step.anchor_hash)
            total += step.deleted

    def _prune_step(self, connection: Connection, before: dt.datetime, batch: int,
                    target: int | None) -> tuple[PruneReport, int]:  # fmt: skip
        """One batch; ``target`` is the last row to delete, fixed by the first batch so the
        prune rows appended meanwhile are never pruned by the same prune."""
        state = connection.execute(
            update(AuditChain).where(AuditChain.id == CHAIN_ID).values(head_seq=AuditChain.head_seq)
            .returning(AuditChain.head_seq, AuditChain.anchor_seq, AuditChain.anchor_hash)
        ).one()  # the chain lock  # fmt: skip
        head_seq, anchor_seq, anchor_hash = int(state.head_seq), int(state.anchor_seq), state.anchor_hash
        if target is None:
            first_young = connection.scalar(select(func.min(AuditRow.seq)).where(AuditRow.at >= before))
            target = head_seq if first_young is None else int(first_young) - 1
        last = min(target, anchor_seq + batch)
        if last <= anchor_seq:
            return PruneReport(before, 0, anchor_seq, anchor_hash), target
        query = select(AuditRow).where(AuditRow.seq <= last).order_by(AuditRow.seq)
        rows = connection.execute(query.execution_options(yield_per=2000))  # streamed: a batch may be large
        _, problem, seen = check_chain(rows, anchor_seq, anchor_hash, last, None, [last])
        if problem is not None:
            raise ValueError(f"the rows to prune fail verification ({problem})")
        deleted = connection.execute(delete(AuditRow).where(AuditRow.seq <= last)).rowcount
        connection.execute(update(AuditChain).where(AuditChain.id == CHAIN_ID)
                           .values(anchor_seq=last, anchor_hash=seen[last], anchor_at=self._clock()))  # fmt: skip
        report = PruneReport(before, int(deleted), last, seen[last])
        self._append(connection, [AuditEntry(PRUNE_ENDPOINT, f"prune-{last}", decision=report.as_dict())])
        return report, target
