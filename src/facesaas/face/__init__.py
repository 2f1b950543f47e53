"""Face engine: decoding, YuNet detection, alignment, SFace embedding, features, thresholds.

Plain numpy in and out; no HTTP, no database.
"""

from facesaas.face.calibration import TRUE_NEGATIVE_RATES, load_calibration, similarity_from_cosine
from facesaas.face.engine import Analysis, Detection, Face, FaceEngine, get_engine
from facesaas.face.feature import decode_feature, encode_feature
from facesaas.face.image import decode_base64, decode_image, encode_jpeg

__all__ = [
    "TRUE_NEGATIVE_RATES",
    "Analysis",
    "Detection",
    "Face",
    "FaceEngine",
    "decode_base64",
    "decode_feature",
    "decode_image",
    "encode_feature",
    "encode_jpeg",
    "get_engine",
    "load_calibration",
    "similarity_from_cosine",
]
