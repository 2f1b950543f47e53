"""Property tests of the feature-string codec (facesaas.face.feature): every encoded matrix
round-trips exactly, and decoding any string, any bytes or any edited feature either returns
unit (or all-zero) vectors or raises one of the three documented errors, never anything else.
Examples per run: the hypothesis profile (tests/conftest.py; FACESAAS_HYPOTHESIS_PROFILE)."""

from __future__ import annotations

import base64
import struct

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from facesaas.errors import FeatureModelMismatch, InvalidBase64, InvalidFeature
from facesaas.face.embedder import EMBEDDING_DIM, SCHEMES
from facesaas.face.feature import MAX_FACES, decode_feature, encode_feature, feature_scheme

DOCUMENTED = (InvalidBase64, InvalidFeature, FeatureModelMismatch)
SCHEME = SCHEMES["sface-mirror"]
OTHER = SCHEMES["sface"]


def _unit_rows(count: int) -> st.SearchStrategy[np.ndarray]:
    """``count`` random L2-normalised rows of 128 float32 (a zero row stays zero, as for a
    degenerate face)."""
    elements = st.floats(-1e3, 1e3, allow_nan=False, width=32)
    return hnp.arrays(np.float32, (count, EMBEDDING_DIM), elements=elements).map(_normalise)


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix.astype(np.float64), axis=1, keepdims=True)
    return np.where(norms > 0, matrix / np.where(norms > 0, norms, 1), 0).astype(np.float32)


def _check(value: str) -> None:
    """decode_feature(value) returns checked vectors or raises a documented error."""
    try:
        matrix = decode_feature(value, "feature", SCHEME)
    except DOCUMENTED:
        return
    assert matrix.dtype == np.float32 and matrix.shape[1] == EMBEDDING_DIM and 1 <= len(matrix) <= MAX_FACES
    norms = np.linalg.norm(matrix, axis=1)
    assert np.all(np.isfinite(norms)) and np.all((np.abs(norms - 1) < 1e-3) | (norms == 0))


@given(st.integers(1, MAX_FACES).flatmap(_unit_rows))
def test_round_trip_is_exact(matrix: np.ndarray) -> None:
    text = encode_feature(matrix, SCHEME)
    assert len(text) == 4 * -(-(10 + 4 * matrix.size) // 3)
    np.testing.assert_array_equal(decode_feature(text, "f", SCHEME), matrix)
    assert feature_scheme(text, "f") == SCHEME.name


@given(st.integers(1, MAX_FACES).flatmap(_unit_rows))
def test_another_scheme_is_refused_by_name(matrix: np.ndarray) -> None:
    text = encode_feature(matrix, OTHER)
    try:
        decode_feature(text, "f", SCHEME)
    except FeatureModelMismatch as exc:
        assert OTHER.name in str(exc) and SCHEME.name in str(exc)
    else:
        raise AssertionError("a feature of another scheme was decoded")


@given(st.text())
def test_any_text_decodes_or_raises_a_documented_error(value: str) -> None:
    _check(value)
    try:
        feature_scheme(value, "f")
    except DOCUMENTED:
        pass


@given(st.binary(max_size=2048))
def test_any_bytes_decode_or_raise_a_documented_error(raw: bytes) -> None:
    _check(base64.b64encode(raw).decode())


@given(
    st.integers(0, 255), st.integers(0, 255), st.integers(0, 0xFFFF), st.integers(0, 0xFFFF),
    st.binary(max_size=4 * EMBEDDING_DIM * 3),
)  # fmt: skip
def test_any_header_decodes_or_raises_a_documented_error(
    version: int, scheme_id: int, dim: int, count: int, payload: bytes
) -> None:
    raw = struct.pack("<4sBBHH", b"FSFT", version, scheme_id, dim, count) + payload
    _check(base64.b64encode(raw).decode())


@given(st.integers(1, 3).flatmap(_unit_rows), st.data())
def test_flipped_bits_decode_or_raise_a_documented_error(matrix: np.ndarray, data: st.DataObject) -> None:
    raw = bytearray(base64.b64decode(encode_feature(matrix, SCHEME)))
    for position in data.draw(st.lists(st.integers(0, len(raw) * 8 - 1), min_size=1, max_size=8)):
        raw[position // 8] ^= 1 << (position % 8)
    _check(base64.b64encode(bytes(raw)).decode())


@given(st.integers(1, 3).flatmap(_unit_rows), st.integers(0, 255))
def test_the_scheme_byte_decides(matrix: np.ndarray, scheme_id: int) -> None:
    raw = bytearray(base64.b64decode(encode_feature(matrix, SCHEME)))
    raw[5] = scheme_id
    text = base64.b64encode(bytes(raw)).decode()
    if scheme_id == SCHEME.id:
        np.testing.assert_array_equal(decode_feature(text, "f", SCHEME), matrix)
    else:
        try:
            decode_feature(text, "f", SCHEME)
        except FeatureModelMismatch:
            pass
        else:
            raise AssertionError(f"scheme byte {scheme_id} was accepted")


@given(st.integers(1, 3).flatmap(_unit_rows), st.floats(allow_nan=True, allow_infinity=True, width=32), st.data())
def test_edited_values_are_refused(matrix: np.ndarray, value: float, data: st.DataObject) -> None:
    """A vector whose value was changed so it is no longer unit length (or NaN/inf) is refused."""
    row, column = data.draw(st.integers(0, len(matrix) - 1)), data.draw(st.integers(0, EMBEDDING_DIM - 1))
    edited = matrix.copy()
    edited[row, column] = value
    norm = float(np.linalg.norm(edited, axis=1)[row])  # as decode_feature computes it (float32)
    text = encode_feature(edited, SCHEME)
    if np.isfinite(norm) and (abs(norm - 1) < 1e-3 or norm == 0):
        return  # still a unit vector (the value barely moved): nothing to detect
    try:
        decode_feature(text, "f", SCHEME)
    except InvalidFeature:
        pass
    else:
        raise AssertionError(f"an edited vector of norm {norm} was accepted")
