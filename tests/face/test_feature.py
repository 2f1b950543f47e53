import base64

import numpy as np
import pytest

from facesaas.errors import FeatureModelMismatch, InvalidBase64, InvalidFeature
from facesaas.face.feature import MAX_FACES, decode_feature, encode_feature


def _unit(n: int) -> np.ndarray:
    rng = np.random.default_rng(n)
    vectors = rng.normal(size=(n, 128)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.mark.parametrize("count", [1, 2, MAX_FACES])
def test_roundtrip(count: int) -> None:
    vectors = _unit(count)
    encoded = encode_feature(vectors)
    assert np.array_equal(decode_feature(encoded, "f"), vectors)
    assert len(base64.b64decode(encoded)) == 10 + 512 * count


def test_encode_rejects_wrong_shapes() -> None:
    with pytest.raises(ValueError):
        encode_feature(np.zeros((1, 64), np.float32))
    with pytest.raises(ValueError):
        encode_feature(_unit(MAX_FACES + 1))


def test_zero_vector_is_allowed_but_scaled_vector_is_not() -> None:
    assert decode_feature(encode_feature(np.zeros(128, np.float32)), "f").shape == (1, 128)
    with pytest.raises(InvalidFeature):
        decode_feature(encode_feature(_unit(1) * 2), "f")


def test_errors() -> None:
    raw = base64.b64decode(encode_feature(_unit(1)))
    with pytest.raises(InvalidBase64):
        decode_feature("@@@@", "f")
    with pytest.raises(FeatureModelMismatch):
        decode_feature(base64.b64encode(raw[:6] + b"\x40\x00" + raw[8:]).decode(), "f")  # dimension 64
    with pytest.raises(InvalidFeature):
        decode_feature(base64.b64encode(raw[:8] + b"\x00\x00" + raw[10:]).decode(), "f")  # zero faces
