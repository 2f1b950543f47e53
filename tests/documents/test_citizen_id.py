"""Citizen-ID number rules, on the real sample numbers of ../shared/data/idcards and on
numbers built to break one rule each."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from facesaas.documents import check_digit, parse_citizen_id, validate_citizen_id

TODAY = dt.date(2026, 11, 25)


def _valid(first17: str) -> str:
    return first17 + check_digit(first17)


def test_check_digit_of_known_numbers() -> None:
    # GB 11643-1999's own example, and one ending in X.
    assert check_digit("11010519491231002") == "X"
    assert check_digit("44052418800101001") == "4"


def test_real_sample_numbers_are_well_formed(shared_data: Path) -> None:
    with open(shared_data / "idcards" / "ground_truth.tsv", encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["id_number"]]
    assert len(rows) >= 4
    for row in rows:
        findings = validate_citizen_id(row["id_number"], today=TODAY, gender=row["sex"] or None)
        codes = {f.code for f in findings}
        if row["birth"].startswith("1654"):
            # The 韦小宝 joke specimen: born in 1654, and its X is not the check character (4 is).
            assert codes == {"birthday_implausible", "check_digit"}
        else:
            assert findings == []
            assert parse_citizen_id(row["id_number"]).birthday == dt.date.fromisoformat(row["birth"])


@pytest.mark.parametrize(
    ("number", "kwargs", "codes"),
    [
        (_valid("44052419800101001"), {}, set()),
        (_valid("44052419800101001")[:17] + "0", {}, {"check_digit"}),
        (_valid("99052419800101001"), {}, {"region"}),
        (_valid("44052419801301001"), {}, {"birthday_invalid"}),
        (_valid("44052430800101001"), {}, {"birthday_implausible"}),  # born 3080
        (_valid("44052419800101001"), {"birthday": dt.date(1980, 1, 2)}, {"birthday_mismatch"}),
        (_valid("44052419800101001"), {"gender": "女"}, {"gender_mismatch"}),  # sequence 001: odd, a man
        ("4405241980010100", {}, {"format"}),
        ("44052419800101001Y", {}, {"format"}),
    ],
)
def test_each_rule(number: str, kwargs: dict, codes: set[str]) -> None:
    assert {f.code for f in validate_citizen_id(number, today=TODAY, **kwargs)} == codes


def test_lower_case_x_and_spaces_are_normalised() -> None:
    number = _valid("11010519491231002")
    parsed = parse_citizen_id(" " + number.lower()[:9] + " " + number.lower()[9:])
    assert parsed is not None and parsed.number == number and parsed.gender == "女"
