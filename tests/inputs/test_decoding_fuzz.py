"""Property tests of request decoding (facesaas.inputs and the decoders it calls): base64,
images and the JSON body models. Whatever a client sends is decoded or refused with a
documented error of its own, never another exception. Images are real (the astronaut face,
tests/fuzzing.py) and broken by hypothesis: truncated, bit-flipped, bytes inserted or removed,
headers claiming zero or huge dimensions. Examples per run: the hypothesis profile."""

from __future__ import annotations

import base64
import typing

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from facesaas.documents.schemas import ClassificationRequest, DistinguishRequest, OcrRequest
from facesaas.errors import (
    CorruptImage,
    ImageDimensionsTooLarge,
    ImageTooLarge,
    InvalidBase64,
    InvalidParameter,
    MissingParameter,
    UnsupportedImageFormat,
)
from facesaas.face.image import decode_base64, decode_image
from facesaas.inputs import ImageLimits, load_image, parse_request
from facesaas.liveness.schemas import CheckImagePackageRequest, CreateVideoSessionRequest, VideoSessionResultRequest
from facesaas.recognition.schemas import ExtractionRequest, PackageVerificationRequest, VerificationRequest
from facesaas.repositories.schemas import RegisterRequest, RetrievalRequest
from tests.fuzzing import b64, broken_base64, broken_images, json_values, real_images

IMAGE_ERRORS = (ImageTooLarge, UnsupportedImageFormat, CorruptImage, ImageDimensionsTooLarge)
LIMITS = ImageLimits(max_image_bytes=1024 * 1024, max_image_pixels=4_000_000)
MODELS = (
    ExtractionRequest, VerificationRequest, PackageVerificationRequest, RegisterRequest, RetrievalRequest,
    OcrRequest, DistinguishRequest, ClassificationRequest, CheckImagePackageRequest, CreateVideoSessionRequest,
    VideoSessionResultRequest,
)  # fmt: skip


@given(st.binary(max_size=300))
def test_base64_round_trip(raw: bytes) -> None:
    if raw:
        assert decode_base64(b64(raw), "f") == raw


@given(broken_base64)
def test_any_text_is_base64_or_invalid_base64(value: str) -> None:
    try:
        decoded = decode_base64(value, "f")
    except InvalidBase64 as exc:
        assert exc.detail == "f"
        return
    assert base64.b64encode(decoded).decode() == value  # only the canonical form is accepted


def _decoded_or_refused(data: bytes) -> None:
    try:
        bgr = decode_image(data, field="image", max_bytes=LIMITS.max_image_bytes, max_pixels=LIMITS.max_image_pixels)
    except IMAGE_ERRORS as exc:
        assert exc.detail and "image" in exc.detail
        return
    assert bgr.dtype == np.uint8 and bgr.ndim == 3 and bgr.shape[2] == 3 and bgr.flags.c_contiguous
    assert 0 < bgr.shape[0] * bgr.shape[1] <= LIMITS.max_image_pixels


def test_every_real_encoding_decodes() -> None:
    for name, data in real_images().items():
        bgr = decode_image(data, field=name, max_bytes=LIMITS.max_image_bytes, max_pixels=LIMITS.max_image_pixels)
        assert bgr.shape[2] == 3, name


@given(broken_images())
def test_broken_images_decode_or_raise_a_documented_error(data: bytes) -> None:
    _decoded_or_refused(data)


@given(st.sampled_from([b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"]), st.binary(max_size=400))
def test_any_bytes_after_a_magic_decode_or_raise_a_documented_error(magic: bytes, tail: bytes) -> None:
    _decoded_or_refused(magic + tail)


@given(st.one_of(broken_base64, broken_images().map(b64)))
def test_load_image_decodes_or_raises_a_documented_error(value: str) -> None:
    try:
        load_image(value, "image_content", LIMITS)
    except (InvalidBase64, *IMAGE_ERRORS):
        pass


@given(st.sampled_from(MODELS), st.dictionaries(st.text(max_size=30), json_values, max_size=6))
def test_any_object_parses_or_is_a_parameter_error(model: type, body: dict) -> None:
    try:
        parse_request(model, body)
    except (MissingParameter, InvalidParameter):
        pass


def _bodies(model: type[BaseModel]) -> st.SearchStrategy[dict]:
    """Objects with any subset of ``model``'s own field names (nested models recursively),
    each holding any JSON value or, for a nested model, a body of it."""
    fields = {}
    for name, info in model.model_fields.items():
        nested = [arg for arg in (info.annotation, *typing.get_args(info.annotation)) if isinstance(arg, type) and issubclass(arg, BaseModel)]
        fields[name] = (_bodies(nested[0]) | json_values) if nested else json_values
    return st.fixed_dictionaries({}, optional=fields)


@given(st.sampled_from(MODELS).flatmap(lambda model: st.tuples(st.just(model), _bodies(model))))
def test_bodies_with_the_fields_names_parse_or_are_a_parameter_error(case: tuple) -> None:
    model, body = case
    try:
        parse_request(model, body)
    except (MissingParameter, InvalidParameter):
        pass


@given(st.sampled_from(MODELS), json_values)
def test_any_json_value_parses_or_is_a_parameter_error(model: type, body: object) -> None:
    try:
        parse_request(model, body)
    except (MissingParameter, InvalidParameter):
        pass
