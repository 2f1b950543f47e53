"""Reading a page: orientation, classification (real fronts, real negatives, rendered cards),
both sides on one page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import cv2
import numpy as np
import pytest

from facesaas.documents.ocr import get_ocr
from facesaas.documents.reader import Kind, classify, read_id_card, read_page
from tests.documents.generator import distort, make_both_sides, make_document, random_person, render_id_front

TODAY = dt.date(2026, 11, 25)


def _page(image: np.ndarray, *, auto_rotate: bool = True):  # noqa: ANN202
    return read_page(get_ocr(), image, auto_rotate=auto_rotate)


def test_no_negative_is_an_id_card(shared_data: Path) -> None:
    negatives = sorted((shared_data / "idcards" / "negatives").iterdir())
    assert len(negatives) == 13
    for path in negatives:
        page = _page(cv2.imread(str(path)))
        assert read_id_card(page.lines, TODAY).idcard_type == -1, path.name
        assert classify(page.lines) is Kind.NONE, path.name


def test_real_sides_are_classified(shared_data: Path) -> None:
    for path in sorted((shared_data / "idcards" / "id_front").iterdir()):
        assert read_id_card(_page(cv2.imread(str(path))).lines, TODAY).idcard_type == 1, path.name
    back = shared_data / "idcards" / "id_back" / "tr_id_card_back_handheld.jpeg"
    assert read_id_card(_page(cv2.imread(str(back))).lines, TODAY).idcard_type == 2
    # Both sides on one grey page, each card turned its own way (two of the four upside down
    # against the other): every page is both sides.
    for path in sorted((shared_data / "idcards" / "ccf_bdci2019_synthetic").iterdir()):
        assert read_id_card(_page(cv2.imread(str(path))).lines, TODAY).idcard_type == 3, path.name


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_auto_rotate_reads_a_turned_card(rotation: int) -> None:
    document = make_document("id_front", np.random.default_rng(7), TODAY, rotation=rotation)
    page = _page(document.image)
    assert page.rotation == (360 - rotation) % 360  # the generator turns counter-clockwise
    assert read_id_card(page.lines, TODAY).front.as_dict() == document.fields


@pytest.mark.parametrize("rotation", [90, 270])
def test_auto_rotate_with_a_strong_skew(rotation: int) -> None:
    # A column tilted by more than its own thickness gets its box corners ordered along the
    # column and is cropped as a strip (not "vertical"): the vote must still call it sideways.
    rng = np.random.default_rng(3013)
    person = random_person(rng, TODAY)
    card, _ = render_id_front(person, rng)
    image, _ = distort(card, rng, rotation=rotation, skew=-7.5, jpeg=90)
    page = _page(image)
    assert page.rotation == (360 - rotation) % 360
    assert read_id_card(page.lines, TODAY).front.as_dict() == person


def test_two_cards_turned_different_ways() -> None:
    # A front upside down above an upright back, closer than the split's 2-line-height gap: each
    # card is cut out, turned upright and read.
    front = make_document("id_front", np.random.default_rng(21), TODAY, distortions="none")
    back = make_document("id_back", np.random.default_rng(22), TODAY, distortions="none")
    top, bottom = cv2.rotate(front.card, cv2.ROTATE_180), back.card
    width = max(top.shape[1], bottom.shape[1])
    page = np.full((top.shape[0] + bottom.shape[0] + 140, width + 80, 3), 200, np.uint8)
    page[30 : 30 + top.shape[0], 40 : 40 + top.shape[1]] = top
    page[110 + top.shape[0] : 110 + top.shape[0] + bottom.shape[0], 40 : 40 + bottom.shape[1]] = bottom
    reading = read_id_card(_page(page).lines, TODAY)
    assert reading.idcard_type == 3
    assert {**reading.front.as_dict(), **reading.back.as_dict()} == {**front.fields, **back.fields}


def test_licences_are_not_id_cards() -> None:
    for kind, expected in (("driving", Kind.DRIVING), ("vehicle", Kind.VEHICLE), ("id_back", Kind.ID_BACK)):
        page = _page(make_document(kind, np.random.default_rng(3), TODAY).image, auto_rotate=False)
        assert classify(page.lines) is expected
        assert read_id_card(page.lines, TODAY).idcard_type == (2 if kind == "id_back" else -1)


def test_both_sides_on_one_page() -> None:
    document = make_both_sides(np.random.default_rng(51), TODAY)
    reading = read_id_card(_page(document.image).lines, TODAY)
    assert reading.idcard_type == 3
    assert {**reading.front.as_dict(), **reading.back.as_dict()} == document.fields
