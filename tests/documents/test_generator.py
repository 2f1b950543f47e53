"""The synthetic ID-document generator: reproducible, genuine samples pass every rule, each
forgery breaks exactly the rule it is named after, and the geometry it reports is right."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest

from facesaas.documents.citizen_id import PROVINCES, validate_citizen_id
from facesaas.documents.idcard import NATIONS
from tests.documents.generator import (
    DRIVING_PERIODS,
    FORGERIES,
    ID_PERIODS,
    KINDS,
    PRINTED_FORGERIES,
    distort,
    make_both_sides,
    make_document,
    random_driving,
    random_id_back,
    random_person,
    random_vehicle,
    render_id_front,
    validity_findings,
)

TODAY = dt.date(2026, 11, 25)


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _codes(fields: dict) -> set[str]:
    birthday = dt.datetime.strptime(str(fields["birthday"]), "%Y%m%d").date()
    gender = str(fields["gender"])
    findings = validate_citizen_id(str(fields["citizen_id"]), today=TODAY, birthday=birthday, gender=gender)
    return {finding.code for finding in findings}


def _inside(box: tuple[int, int, int, int], image: np.ndarray) -> bool:
    x0, y0, x1, y1 = box
    return 0 <= x0 < x1 <= image.shape[1] and 0 <= y0 < y1 <= image.shape[0]


def test_same_seed_same_document() -> None:
    first, second = (make_document("id_front", _rng(3), TODAY) for _ in range(2))
    assert first.fields == second.fields and first.boxes == second.boxes
    assert np.array_equal(first.image, second.image) and np.array_equal(first.card, second.card)
    assert make_document("id_front", _rng(4), TODAY).fields != first.fields


def test_genuine_people_pass_every_citizen_id_rule() -> None:
    rng = _rng(0)
    people = [random_person(rng, TODAY) for _ in range(300)]
    for person in people:
        assert _codes(person) == set(), person
        number = person["citizen_id"]
        assert number[:2] in PROVINCES and person["birthday"] == number[6:14]
        assert person["nation"] in NATIONS and person["gender"] in ("男", "女")
        assert 2 <= len(person["name"]) <= 4 and 10 <= len(person["address"]) <= 30
    han = sum(person["nation"] == "汉" for person in people) / len(people)
    assert 0.7 < han < 0.9
    assert any(number["citizen_id"].endswith("X") for number in people)
    assert 0 < sum(len(person["name"]) == 4 for person in people) < 0.12 * len(people)


def test_genuine_id_backs_have_a_lawful_period() -> None:
    rng = _rng(1)
    ends = set()
    for _ in range(300):
        person = random_person(rng, TODAY)
        back = random_id_back(person, rng, TODAY)
        begin, end = back["valid_date_begin"], back["valid_date_end"]
        assert "20050101" <= begin <= TODAY.strftime("%Y%m%d") and begin > person["birthday"]
        assert validity_findings(begin, end, TODAY, ID_PERIODS, birthday=person["birthday"]) == [], (person, back)
        assert back["agency"].endswith(("公安局", "分局"))
        ends.add("长期" if end == "长期" else int(end[:4]) - int(begin[:4]))
    assert ends == {5, 10, 20, "长期"}


def test_genuine_driving_licences() -> None:
    rng = _rng(2)
    licences = [random_driving(rng, TODAY) for _ in range(200)]
    for lic in licences:
        assert _codes(lic) == set()
        assert lic["birthday"] < lic["issue_date"] <= lic["valid_date_begin"] <= TODAY.strftime("%Y%m%d")
        if lic["license_type"] == 1:
            assert "valid_period" not in lic
            assert validity_findings(lic["valid_date_begin"], lic["valid_date_end"], TODAY, DRIVING_PERIODS) == []
        else:
            assert "valid_date_end" not in lic and lic["valid_period"] in DRIVING_PERIODS
    assert {lic["license_type"] for lic in licences} == {1, 2}
    assert max({lic["vehicle_type"] for lic in licences}, key=[lic["vehicle_type"] for lic in licences].count) == "C1"


def _vin_check(vin: str) -> str:
    values = dict(zip("ABCDEFGH", range(1, 9), strict=True)) | dict(zip("JKLMN", range(1, 6), strict=True)) | {"P": 7, "R": 9}
    values |= dict(zip("STUVWXYZ", range(2, 10), strict=True)) | {d: int(d) for d in "0123456789"}
    total = sum(values[c] * w for c, w in zip(vin, (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2), strict=True))
    return "X" if total % 11 == 10 else str(total % 11)


def test_vehicle_licence_fields() -> None:
    rng = _rng(3)
    for _ in range(100):
        lic = random_vehicle(rng, TODAY)
        assert re.fullmatch(r"[\u4e00-\u9fff][A-HJ-NP-Z][A-HJ-NP-Z0-9]{5}", lic["plate_no"]), lic
        assert re.fullmatch(r"[A-HJ-NPR-Z0-9]{17}", lic["vin"]) and lic["vin"][8] == _vin_check(lic["vin"])
        assert re.fullmatch(r"[A-Z0-9]{6,10}", lic["engine_no"])
        assert lic["register_date"] <= lic["issue_date"] <= TODAY.strftime("%Y%m%d")
        assert lic["use_character"] in ("非营运", "营运", "货运", "租赁")


@pytest.mark.parametrize(
    ("kind", "forgery"),
    [(kind, forgery) for kind in ("id_front", "driving") for forgery in FORGERIES[kind]
     if forgery != "validity" and forgery not in PRINTED_FORGERIES],
)  # fmt: skip
def test_number_forgeries_break_exactly_their_rule(kind: str, forgery: str) -> None:
    document = make_document(kind, _rng(10), TODAY, forgery=forgery, distortions="none")
    assert document.forgery == forgery
    expected = set() if forgery == "pasted_field" else {forgery}
    assert _codes(document.fields) == expected
    if forgery == "pasted_field":
        field = document.distortion["pasted_field"]
        assert field in ("name", "address", "citizen_id") and _inside(document.boxes[field], document.card)
        assert 0.85 <= document.distortion["pasted_scale"] <= 1.15
        assert 2 <= abs(document.distortion["pasted_dy_px"]) <= 6


@pytest.mark.parametrize("forgery", PRINTED_FORGERIES)
def test_printed_forgeries_leave_the_number_alone(forgery: str) -> None:
    genuine = make_document("id_front", _rng(11), TODAY, distortions="none")
    forged = make_document("id_front", _rng(11), TODAY, forgery=forgery, distortions="none")
    changed = {key for key in genuine.fields if genuine.fields[key] != forged.fields[key]}
    assert changed == {{"birthday_implausible": "birthday", "gender_word": "gender", "nation_word": "nation"}[forgery]}
    assert validate_citizen_id(str(forged.fields["citizen_id"]), today=TODAY) == []
    if forgery == "birthday_implausible":
        born = dt.datetime.strptime(str(forged.fields["birthday"]), "%Y%m%d").date()
        assert born.year < 1900 or born > TODAY
    elif forgery == "gender_word":
        assert forged.fields["gender"] not in ("男", "女")
    else:
        assert forged.fields["nation"] not in NATIONS


def test_cut_number_removes_the_number_row_only() -> None:
    whole = make_document("id_front", _rng(12), TODAY, distortions="none")
    cut = make_document("id_front", _rng(12), TODAY, distortions="none", cut_number=True)
    assert cut.fields == whole.fields and cut.distortion["cut_number"] is True
    assert cut.card.shape[0] < whole.boxes["citizen_id"][1] and "citizen_id" not in cut.boxes
    assert cut.boxes["address"] == whole.boxes["address"]
    with pytest.raises(ValueError):
        make_document("id_back", _rng(12), TODAY, cut_number=True)


@pytest.mark.parametrize(("kind", "periods"), [("id_back", ID_PERIODS), ("driving", DRIVING_PERIODS)])
def test_validity_forgeries(kind: str, periods: tuple[int, ...]) -> None:
    seen = set()
    for seed in range(3):
        document = make_document(kind, _rng(20 + seed), TODAY, forgery="validity", distortions="none")
        fields = document.fields
        codes = validity_findings(str(fields["valid_date_begin"]), str(fields["valid_date_end"]), TODAY, periods)
        assert document.distortion["validity"] in codes, (fields, codes)
        seen.add(document.distortion["validity"])
    assert len(seen) >= 2


def test_forgery_must_exist_for_the_kind() -> None:
    with pytest.raises(ValueError):
        make_document("vehicle", _rng(0), TODAY, forgery="check_digit")
    with pytest.raises(ValueError):
        make_document("passport", _rng(0), TODAY)


EXPECTED_BOXES = {
    "id_front": {"name", "gender", "nation", "birthday", "address", "citizen_id"},
    "id_back": {"agency", "valid_date"},
    "vehicle": {"plate_no", "vehicle_type", "owner", "address", "use_character", "model", "vin", "engine_no",
                "register_date", "issue_date"},
}  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
def test_images_and_boxes(kind: str) -> None:
    document = make_document(kind, _rng(5), TODAY)
    for image in (document.image, document.card):
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert 900 <= document.image.shape[1] <= 1400
    assert document.forgery is None and document.distortion["preset"] == "mild"
    expected = EXPECTED_BOXES.get(kind)
    if kind == "driving":
        common = {"name", "gender", "address", "citizen_id", "birthday", "issue_date", "vehicle_type"}
        old = document.fields["license_type"] == 2
        expected = common | ({"valid_date_begin", "valid_period"} if old else {"valid_date"})
    assert set(document.boxes) == expected
    assert all(_inside(box, document.card) for box in document.boxes.values())
    quad = np.array(document.distortion["quad"])
    assert (quad >= -1).all() and (quad[:, 0] <= document.image.shape[1] + 1).all()


def test_rotation_is_exact_and_last() -> None:
    card, _ = render_id_front(random_person(_rng(6), TODAY), _rng(6))
    options = {"skew": 5.0, "perspective": 0.03, "blur": 0.6, "jpeg": 80, "glare": 0.5, "low_light": 0.5}
    upright, applied = distort(card, _rng(7), **options)
    turned, turned_applied = distort(card, _rng(7), rotation=90, **options)
    assert turned.shape == (upright.shape[1], upright.shape[0], 3)
    assert np.array_equal(turned, np.rot90(upright))
    assert turned_applied["rotation"] == 90 and applied["skew"] == 5.0
    # The card's top-left corner follows the turn: (x, y) → (y, W - x).
    x, y = applied["quad"][0]
    assert np.allclose(turned_applied["quad"][0], (y, upright.shape[1] - x), atol=0.2)


@pytest.mark.parametrize("preset", ["hard", "photocopy", "screen"])
def test_presets(preset: str) -> None:
    document = make_document("id_back", _rng(8), TODAY, distortions=preset, rotation=180)
    assert document.image.dtype == np.uint8 and document.distortion["rotation"] == 180
    assert document.distortion.get(preset, True) is True
    if preset == "photocopy":  # greyscale (up to JPEG and sensor noise)
        channels = document.image.astype(np.int16)
        assert np.abs(channels[..., 0] - channels[..., 2]).mean() < 4


def test_both_sides_on_one_page() -> None:
    document = make_both_sides(_rng(9), TODAY, rotation=0)
    assert document.kind == "id_both" and document.distortion["rotation"] == 0
    assert set(document.fields) == EXPECTED_BOXES["id_front"] | {"agency", "valid_date_begin", "valid_date_end"}
    assert set(document.boxes) == EXPECTED_BOXES["id_front"] | EXPECTED_BOXES["id_back"]
    assert all(_inside(box, document.card) for box in document.boxes.values())
    # Front above back, with a gap.
    assert document.boxes["citizen_id"][3] < document.boxes["agency"][1]
    assert _codes(document.fields) == set()
