"""The audit log on a real database (SQLite, and PostgreSQL in the PostgreSQL pass): an intact
chain verifies; an edited, deleted, swapped, forged or rewritten row is found, named by its
sequence number and kind; pruning keeps the rest verifiable; concurrent writers (threads, and
separate engines as separate processes or hosts would be) keep one chain."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text, update

from facesaas.audit import AuditEntry, AuditLog, row_hash
from facesaas.audit.models import AuditRow
from facesaas.errors import AuditUnavailable
from facesaas.settings import Settings
from facesaas.storage.database import Database, create_database


@pytest.fixture
def audit(database: Database) -> AuditLog:
    return AuditLog(database, "facesaas test; scheme sface-mirror")


def _fill(audit: AuditLog, count: int, start: int = 0) -> None:
    for index in range(start, start + count):
        audit.write(AuditEntry("/face/v1/algorithm/recognition/face_pair_verification", f"req-{index}", 1, "AK1", 200, 0,
                               {"decision": {"same_person": index % 2 == 0, "similarity": 80.0 + index / 10},
                                "thresholds": {"similarity": 75.1234, "calibration": "shipped"}}))  # fmt: skip


def _sql(database: Database, statement: str, **params: object) -> None:
    with database.engine.begin() as connection:
        connection.execute(text(statement), params)


def test_an_intact_chain_verifies(audit: AuditLog) -> None:
    _fill(audit, 6)
    report = audit.verify()
    assert report.ok and report.rows == 6 and report.head.head_seq == 6 and report.head.anchor_seq == 0
    rows = audit.rows(limit=100)
    assert [row["seq"] for row in rows] == [1, 2, 3, 4, 5, 6]
    assert all(rows[i]["prev_hash"] == rows[i - 1]["row_hash"] for i in range(1, 6))
    assert report.head.head_hash == rows[-1]["row_hash"]
    assert audit.rows(request_id="req-3", limit=5)[0]["decision"]["decision"]["similarity"] == 80.3
    assert audit.verify([(6, report.head.head_hash), (3, rows[2]["row_hash"])]).ok


def test_an_edited_field_is_found_at_its_row(audit: AuditLog, database: Database) -> None:
    _fill(audit, 6)
    _sql(database, "UPDATE audit_log SET decision = replace(decision, 'true', 'false') WHERE seq = 3")
    problem = audit.verify().problem
    assert problem is not None and (problem.seq, problem.kind) == (3, "edited")
    _fill(audit, 1, start=10)  # writing goes on; the break stays where it is
    assert audit.verify().problem == problem


@pytest.mark.parametrize("column, value", [("rtn", -3001), ("tenant_id", 2), ("at", "2020-01-01 00:00:00")])
def test_any_column_counts(audit: AuditLog, database: Database, column: str, value: object) -> None:
    _fill(audit, 4)
    _sql(database, f"UPDATE audit_log SET {column} = :value WHERE seq = 2", value=value)
    problem = audit.verify().problem
    assert problem is not None and (problem.seq, problem.kind) == (2, "edited")


def test_a_deleted_middle_row_is_missing(audit: AuditLog, database: Database) -> None:
    _fill(audit, 6)
    _sql(database, "DELETE FROM audit_log WHERE seq = 4")
    problem = audit.verify().problem
    assert problem is not None and (problem.seq, problem.kind) == (4, "missing")


def test_swapped_contents_are_found(audit: AuditLog, database: Database) -> None:
    _fill(audit, 6)
    with database.engine.begin() as connection:
        two, five = (connection.execute(text("SELECT request_id, decision FROM audit_log WHERE seq = :s"), {"s": s}).one()
                     for s in (2, 5))  # fmt: skip
        for seq, (request_id, decision) in ((2, five), (5, two)):
            connection.execute(text("UPDATE audit_log SET request_id = :r, decision = :d WHERE seq = :s"),
                               {"r": request_id, "d": decision, "s": seq})  # fmt: skip
    problem = audit.verify().problem
    assert problem is not None and (problem.seq, problem.kind) == (2, "edited")


def test_rows_moved_with_their_hashes_recomputed_are_reordered(audit: AuditLog, database: Database) -> None:
    """An attacker who knows the encoding swaps rows 3 and 4 and gives each a valid hash of its
    own, but cannot make it follow the row before without rewriting everything after it."""
    _fill(audit, 6)
    with database.engine.begin() as connection:
        rows = {r.seq: r._asdict() for r in connection.execute(select(AuditRow).where(AuditRow.seq.in_([3, 4])))}
        for seq, source in ((3, rows[4]), (4, rows[3])):
            forged = {**source, "seq": seq}
            forged["row_hash"] = row_hash(forged)
            connection.execute(update(AuditRow).where(AuditRow.seq == seq).values(**forged))
    problem = audit.verify().problem
    assert problem is not None and (problem.seq, problem.kind) == (3, "reordered")


def test_the_tail_problem_and_the_head_recorded_elsewhere(audit: AuditLog, database: Database) -> None:
    """Deleting the newest row is found by the head row; deleting it and rewinding the head
    too leaves an internally valid chain, which only a head copied elsewhere exposes."""
    _fill(audit, 5)
    kept = audit.head()
    _sql(database, "DELETE FROM audit_log WHERE seq = 5")
    problem = audit.verify().problem
    assert problem is not None and (problem.seq, problem.kind) == (5, "missing")
    with database.engine.begin() as connection:
        four = connection.execute(text("SELECT row_hash FROM audit_log WHERE seq = 4")).scalar_one()
        connection.execute(text("UPDATE audit_chain SET head_seq = 4, head_hash = :h"), {"h": four})
    assert audit.verify().ok
    problem = audit.verify([(kept.head_seq, kept.head_hash)]).problem
    assert problem is not None and (problem.seq, problem.kind) == (5, "missing")


def test_a_rewritten_chain_differs_from_the_recorded_head(audit: AuditLog, database: Database) -> None:
    _fill(audit, 4)
    kept = audit.head()
    with database.engine.begin() as connection:  # edit row 2, recompute every hash after it, move the head
        prev = connection.execute(text("SELECT row_hash FROM audit_log WHERE seq = 1")).scalar_one()
        for row in connection.execute(select(AuditRow).where(AuditRow.seq >= 2).order_by(AuditRow.seq)).all():
            forged = {**row._asdict(), "prev_hash": prev}
            if forged["seq"] == 2:
                forged["decision"] = forged["decision"].replace('"same_person":false', '"same_person":true')
                assert forged["decision"] != row.decision
            forged["row_hash"] = prev = row_hash(forged)
            connection.execute(update(AuditRow).where(AuditRow.seq == forged["seq"]).values(**forged))
        connection.execute(text("UPDATE audit_chain SET head_hash = :h"), {"h": prev})
    assert audit.verify().ok  # consistent in itself
    problem = audit.verify([(kept.head_seq, kept.head_hash)]).problem
    assert problem is not None and (problem.seq, problem.kind) == (4, "expected")


def test_prune_keeps_the_rest_verifiable(audit: AuditLog, database: Database) -> None:
    _fill(audit, 4)
    cutoff = dt.datetime.now(dt.UTC)
    _fill(audit, 3, start=4)
    old = audit.head()
    before = audit.rows(limit=100)
    report = audit.prune(cutoff)
    assert (report.deleted, report.anchor_seq, report.anchor_hash) == (4, 4, before[3]["row_hash"])
    rows = audit.rows(limit=100)
    assert [row["seq"] for row in rows] == [5, 6, 7, 8] and rows[-1]["endpoint"] == "audit:prune"
    assert rows[-1]["decision"]["deleted"] == 4
    verified = audit.verify([(old.head_seq, old.head_hash), (2, before[1]["row_hash"])])
    assert verified.ok and verified.rows == 4 and verified.head.anchor_seq == 4
    assert verified.unchecked == ["2: pruned (the chain starts after row 4)"]
    assert audit.prune(cutoff).deleted == 0  # nothing older left
    _sql(database, "DELETE FROM audit_log WHERE seq = 5")  # the oldest remaining row is still covered
    problem = audit.verify().problem
    assert problem is not None and (problem.seq, problem.kind) == (5, "missing")


def test_prune_goes_in_short_transactions(audit: AuditLog) -> None:
    """Every writer waits for the chain lock, so a prune deletes ``batch`` rows per transaction,
    each recorded by its own row; a break further on stops it there, earlier batches stay
    pruned and the chain still verifies up to the break."""
    _fill(audit, 5)
    cutoff = dt.datetime.now(dt.UTC)
    _fill(audit, 1, start=5)
    report = audit.prune(cutoff, batch=2)
    assert (report.deleted, report.anchor_seq) == (5, 5)
    rows = audit.rows(limit=100)
    assert [row["seq"] for row in rows] == [6, 7, 8, 9]
    assert [row["decision"]["anchor_seq"] for row in rows[1:]] == [2, 4, 5]
    assert audit.verify().ok
    # A cutoff in the future: everything is old, the prune rows it appends included; it still
    # ends, at the head it found when it started.
    report = audit.prune(dt.datetime.now(dt.UTC) + dt.timedelta(days=1), batch=2)
    assert (report.deleted, report.anchor_seq) == (4, 9)
    assert [row["seq"] for row in audit.rows(limit=100)] == [10, 11] and audit.verify().ok


def test_prune_stops_at_a_break_after_earlier_batches(audit: AuditLog, database: Database) -> None:
    _fill(audit, 5)
    _sql(database, "UPDATE audit_log SET rtn = -1 WHERE seq = 4")
    with pytest.raises(ValueError, match=r"row 4: edited.*2 rows were deleted before it"):
        audit.prune(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1), batch=2)
    assert audit.head().anchor_seq == 2
    problem = audit.verify().problem
    assert problem is not None and (problem.seq, problem.kind) == (4, "edited")


def test_prune_never_deletes_a_broken_stretch(audit: AuditLog, database: Database) -> None:
    _fill(audit, 4)
    _sql(database, "UPDATE audit_log SET rtn = -1 WHERE seq = 2")
    with pytest.raises(ValueError, match="row 2: edited"):
        audit.prune(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
    assert len(audit.rows(limit=100)) == 4 and audit.head().anchor_seq == 0


def test_prune_keeps_a_row_younger_than_the_cutoff_even_behind_an_older_one(database: Database) -> None:
    """Should the clock step back, rows are no longer in time order: prune stops at the first
    row written at or after the cutoff, whatever follows it."""
    times = iter([dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
                  dt.datetime(2026, 1, 2, tzinfo=dt.UTC), dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
                  dt.datetime(2026, 4, 2, tzinfo=dt.UTC), dt.datetime(2026, 4, 3, tzinfo=dt.UTC)])  # fmt: skip
    audit = AuditLog(database, "m", clock=lambda: next(times))
    _fill(audit, 4)
    report = audit.prune(dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    assert (report.deleted, report.anchor_seq) == (1, 1)
    assert [row["seq"] for row in audit.rows(limit=10)] == [2, 3, 4, 5]  # row 3 (January) waits behind row 2
    assert audit.verify().ok


def test_threads_keep_one_chain(audit: AuditLog) -> None:
    def work(start: int) -> None:
        _fill(audit, 25, start=start)

    threads = [threading.Thread(target=work, args=(100 * i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = audit.verify()
    assert report.ok and report.rows == 100 and report.head.head_seq == 100


def test_writers_arriving_during_a_write_are_committed_together(database: Database) -> None:
    """Group commit, made deterministic: the first writer is held inside its transaction (its
    clock waits) until three more have queued; they are then written in one transaction (one
    clock reading, so one ``at``), after it, and every write returned its own row."""
    release, calls = threading.Event(), []

    def clock() -> dt.datetime:
        if not calls:
            release.wait(10)
        calls.append(1)
        return dt.datetime(2026, 12, 6, tzinfo=dt.UTC) + dt.timedelta(microseconds=len(calls))

    audit = AuditLog(database, "m", clock=clock)
    results: dict[str, tuple[int, str]] = {}

    def write(name: str) -> None:
        results[name] = audit.write(AuditEntry("/x", name, 1, "AK1", 200, 0, {"n": name}))

    first = threading.Thread(target=write, args=("first",))
    first.start()
    while not audit._writing:  # noqa: SLF001 - waiting for the state the test needs
        threading.Event().wait(0.005)
    others = [threading.Thread(target=write, args=(f"other-{i}",)) for i in range(3)]
    for thread in others:
        thread.start()
    while len(audit._waiting) < 3:  # noqa: SLF001
        threading.Event().wait(0.005)
    release.set()
    for thread in [first, *others]:
        thread.join()
    rows = {row["request_id"]: row for row in audit.rows(limit=10)}
    assert results["first"][0] == 1 and sorted(results[f"other-{i}"][0] for i in range(3)) == [2, 3, 4]
    assert all(rows[name]["seq"] == seq and rows[name]["row_hash"] == digest for name, (seq, digest) in results.items())
    assert len(calls) == 2 and len({rows[f"other-{i}"]["at"] for i in range(3)}) == 1 != rows["first"]["at"]
    assert audit.verify().ok


@pytest.fixture
def second_engine(settings: Settings) -> Iterator[Database]:
    """Another engine (its own connection pool) on the same database, as another worker process
    or host would have."""
    other = create_database(settings.resolved_database_url)
    yield other
    other.dispose()


def test_separate_engines_keep_one_chain(audit: AuditLog, second_engine: Database) -> None:
    other = AuditLog(second_engine, "facesaas test; another host")
    errors: list[BaseException] = []

    def work(log: AuditLog, start: int) -> None:
        try:
            _fill(log, 30, start=start)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(log, 1000 * i)) for i, log in enumerate([audit, other, audit, other])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = audit.verify()
    assert report.ok and report.rows == 120
    models = {row["model"] for row in audit.rows(limit=200)}
    assert models == {"facesaas test; scheme sface-mirror", "facesaas test; another host"}


def test_a_write_that_fails_is_audit_unavailable_and_leaves_no_trace(audit: AuditLog, database: Database) -> None:
    _fill(audit, 2)
    _sql(database, "ALTER TABLE audit_log RENAME TO audit_log_away")
    with pytest.raises(AuditUnavailable) as info:
        _fill(audit, 1, start=5)
    assert info.value.rtn == -5013 and info.value.http_status == 503
    _sql(database, "ALTER TABLE audit_log_away RENAME TO audit_log")
    assert audit.head().head_seq == 2  # the failed write's transaction rolled back whole
    _fill(audit, 1, start=6)
    assert audit.verify().ok and audit.head().head_seq == 3
