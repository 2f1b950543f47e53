import pytest

from facesaas.errors import CorruptImage, ImageDimensionsTooLarge, ImageTooLarge, InvalidBase64, UnsupportedImageFormat
from facesaas.face.image import decode_base64, decode_image, encode_jpeg
from tests.images import png_bomb, reencode


def test_decodes_to_bgr_and_applies_exif(astronaut_jpeg: bytes) -> None:
    plain = decode_image(astronaut_jpeg, field="f", max_bytes=10**7, max_pixels=10**7)
    assert plain.shape == (512, 512, 3)
    tagged = reencode(reencode(astronaut_jpeg, fmt="JPEG"), rotate=90, exif_orientation=6)
    fixed = decode_image(tagged, field="f", max_bytes=10**7, max_pixels=10**7)
    assert fixed.shape == (512, 512, 3)
    # Astronaut's sky is top-left and red suit at the bottom: orientation restored.
    assert abs(int(fixed[:50, :50].mean()) - int(plain[:50, :50].mean())) < 20


def test_limits_and_failures(astronaut_jpeg: bytes) -> None:
    with pytest.raises(ImageTooLarge):
        decode_image(astronaut_jpeg, field="f", max_bytes=1000, max_pixels=10**7)
    with pytest.raises(ImageDimensionsTooLarge):
        decode_image(astronaut_jpeg, field="f", max_bytes=10**7, max_pixels=512 * 511)
    with pytest.raises(ImageDimensionsTooLarge):
        decode_image(png_bomb(5000, 5000), field="f", max_bytes=10**7, max_pixels=10**7)
    with pytest.raises(CorruptImage):
        decode_image(astronaut_jpeg[:5000], field="f", max_bytes=10**7, max_pixels=10**7)
    with pytest.raises(UnsupportedImageFormat):
        decode_image(b"BM" + b"\x00" * 100, field="f", max_bytes=10**7, max_pixels=10**7)


def test_base64_is_strict() -> None:
    assert decode_base64("QUJD", "f") == b"ABC"
    for bad in ("QUJ", "QU JD", "QUJD\n", "-_-_"):
        with pytest.raises(InvalidBase64):
            decode_base64(bad, "f")


def test_encode_jpeg_roundtrip(astronaut_jpeg: bytes) -> None:
    image = decode_image(astronaut_jpeg, field="f", max_bytes=10**7, max_pixels=10**7)
    again = decode_image(encode_jpeg(image), field="f", max_bytes=10**7, max_pixels=10**7)
    assert abs(float(again.mean()) - float(image.mean())) < 2
