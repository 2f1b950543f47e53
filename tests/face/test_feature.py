import base64

import numpy as np
import pytest

from facesaas.errors import FeatureModelMismatch, InvalidBase64, InvalidFeature
from facesaas.face.embedder import SCHEMES
from facesaas.face.feature import MAX_FACES, decode_feature, encode_feature, feature_scheme

PLAIN, MIRROR = SCHEMES["sface"], SCHEMES["sface-mirror"]


def _unit(n: int) -> np.ndarray:
    rng = np.random.default_rng(n)
    vectors = rng.normal(size=(n, 128)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.mark.parametrize("count", [1, 2, MAX_FACES])
def test_roundtrip(count: int) -> None:
    vectors = _unit(count)
    encoded = encode_feature(vectors, MIRROR)
    assert np.array_equal(decode_feature(encoded, "f", MIRROR), vectors)
    assert len(base64.b64decode(encoded)) == 10 + 512 * count


def test_encode_rejects_wrong_shapes() -> None:
    with pytest.raises(ValueError):
        encode_feature(np.zeros((1, 64), np.float32), PLAIN)
    with pytest.raises(ValueError):
        encode_feature(_unit(MAX_FACES + 1), PLAIN)


def test_zero_vector_is_allowed_but_scaled_vector_is_not() -> None:
    assert decode_feature(encode_feature(np.zeros(128, np.float32), PLAIN), "f", PLAIN).shape == (1, 128)
    with pytest.raises(InvalidFeature):
        decode_feature(encode_feature(_unit(1) * 2, PLAIN), "f", PLAIN)


def test_errors() -> None:
    raw = base64.b64decode(encode_feature(_unit(1), PLAIN))
    with pytest.raises(InvalidBase64):
        decode_feature("@@@@", "f", PLAIN)
    with pytest.raises(FeatureModelMismatch):
        decode_feature(base64.b64encode(raw[:6] + b"\x40\x00" + raw[8:]).decode(), "f", PLAIN)  # dimension 64
    with pytest.raises(InvalidFeature):
        decode_feature(base64.b64encode(raw[:8] + b"\x00\x00" + raw[10:]).decode(), "f", PLAIN)  # zero faces


def test_each_scheme_refuses_the_others_features() -> None:
    vectors = _unit(2)
    for made, used in ((PLAIN, MIRROR), (MIRROR, PLAIN)):
        encoded = encode_feature(vectors, made)
        assert feature_scheme(encoded, "f") == made.name
        assert np.array_equal(decode_feature(encoded, "f", made), vectors)
        with pytest.raises(FeatureModelMismatch, match=f"made by embedding scheme {made.name}, this server uses {used.name}"):
            decode_feature(encoded, "f", used)


def test_unknown_scheme_id_is_refused() -> None:
    raw = bytearray(base64.b64decode(encode_feature(_unit(1), PLAIN)))
    raw[5] = 9
    forged = base64.b64encode(bytes(raw)).decode()
    assert feature_scheme(forged, "f") == "unknown (id 9)"
    with pytest.raises(FeatureModelMismatch, match="unknown scheme"):
        decode_feature(forged, "f", PLAIN)
