"""Request fields CS202.2 parses beyond pydantic's types."""

from __future__ import annotations

import pytest

from facesaas.errors import InvalidParameter
from facesaas.recognition.schemas import parse_key_points


def test_key_points_parse_or_are_refused() -> None:
    assert parse_key_points("") is None
    points = parse_key_points("[[1, 2], [3, 4], [5, 6], [7, 8], [9, 10.5]]")
    assert points is not None and points.shape == (5, 2) and points[4, 1] == 10.5
    for bad in ("{", "[1, 2, 3]", "[[1, 2]]", '[["a", "b"], [1, 2], [1, 2], [1, 2], [1, 2]]', "[[NaN, 1], [1, 2], [1, 2], [1, 2], [1, 2]]"):
        with pytest.raises(InvalidParameter):
            parse_key_points(bad)


@pytest.mark.parametrize(
    "bad",
    ["[" * 50_000, "[[" + "9" * 400 + ", 1], [1, 2], [1, 2], [1, 2], [1, 2]]",
     "[[" + "9" * 5000 + ", 1], [1, 2], [1, 2], [1, 2], [1, 2]]", "[[1e999, 1], [1, 2], [1, 2], [1, 2], [1, 2]]"],
    ids=["nested-past-recursion-limit", "int-past-float-range", "int-past-4300-digits", "infinity"],
)  # fmt: skip
def test_key_points_that_crashed_the_parser_are_refused(bad: str) -> None:
    """Found while fuzzing over HTTP (docs/reliability.md): RecursionError and OverflowError were 500s."""
    with pytest.raises(InvalidParameter):
        parse_key_points(bad)
