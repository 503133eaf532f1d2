"""The model endpoint's preprocessing opens only its documented formats, within the API's decode budget."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from devkit.hostile_images import CASES, ico_with_large_image, tiff_with_strips
from devkit.images import encode, exif_rotated_jpeg, poster
from poster_model.preprocess import FORMATS, InvalidImageError, decode_image, image_bytes_to_input

REFUSED = [case for case in CASES if case.status == 413]
ACCEPTED = [case for case in CASES if case.status == 200]


def test_the_documented_formats_are_the_apis_and_tiff():
    assert FORMATS == ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_documented_format_decodes_to_an_upright_rgb_image(fmt):
    image = decode_image(encode(poster(60, 90, seed=2), fmt))
    assert (image.mode, image.size) == ("RGB", (60, 90))


@pytest.mark.parametrize("data", [ico_with_large_image(), encode(poster(60, 90), "TGA"),
                                  encode(poster(60, 90), "PCX"), encode(poster(60, 90), "PPM")],
                         ids=["ico", "tga", "pcx", "ppm"])
def test_other_formats_pillow_reads_are_never_opened(data):
    with pytest.raises(InvalidImageError, match=r"supported format \(JPEG, PNG, WEBP, GIF, BMP, TIFF\)"):
        decode_image(data)


def test_a_tiff_over_the_pixel_limit_is_refused_from_its_header():
    data = encode(Image.new("1", (7_000, 7_000)), "TIFF", compression="packbits")
    with pytest.raises(InvalidImageError, match="7000x7000 pixels; at most 40,000,000 pixels are accepted"):
        decode_image(data)


def test_a_tiff_of_hundreds_of_thousands_of_strips_is_refused_before_pillow_lists_them():
    with pytest.raises(InvalidImageError, match="more than 20,000 strips or tiles"):
        decode_image(tiff_with_strips())


@pytest.mark.parametrize("case", REFUSED, ids=[case.id for case in REFUSED])
def test_the_images_the_api_refuses_are_refused_here(case):
    with pytest.raises(InvalidImageError, match="^image is too"):
        image_bytes_to_input(case.build(), 390, 260)


@pytest.mark.parametrize("case", ACCEPTED, ids=[case.id for case in ACCEPTED])
def test_the_images_the_api_accepts_become_model_input_here(case):
    assert image_bytes_to_input(case.build(), 390, 260).shape == (1, 390, 260, 3)


def test_a_large_image_is_shrunk_to_a_few_times_the_models_size_before_conversion():
    data = encode(Image.new("RGBA", (4_000, 6_000), (10, 20, 30, 0)), "PNG")
    image = decode_image(data, draft_side=390)
    assert (image.mode, image.size) == ("RGB", (800, 1_200))  # reduced 5 times: 1,200 >= 3 x 390
    assert image.getpixel((0, 0)) == (255, 255, 255)


def test_an_exif_rotated_image_is_turned_upright():
    data = exif_rotated_jpeg(90, 60)
    assert decode_image(data).size == (60, 90)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(signature=st.sampled_from([b"\xff\xd8", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"RIFF\x00\x00\x00\x00WEBPVP8X",
                                  b"BM", b"II*\x00", b"MM\x00*", b"II+\x00\x08\x00\x00\x00", b"\x00\x00\x01\x00"]),
       rest=st.binary(max_size=400))
def test_any_bytes_behind_a_signature_decode_or_raise_invalid_image_error(signature, rest):
    try:
        image = decode_image(signature + rest, draft_side=390)
    except InvalidImageError:
        return
    assert image.mode == "RGB"
