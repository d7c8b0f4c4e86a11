"""A portrait is used only with exactly one face big enough; otherwise it is refused, saying why."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from generation.avatar import face
from generation.avatar.face import FaceError

from .conftest import astronaut


def test_it_finds_the_one_face_and_its_landmarks():
    """MediaPipe finds the astronaut's face: 478 landmarks inside a plausible box."""
    found = face.find_face(astronaut())
    x, y, w, h = found.box
    assert found.landmarks.shape == (478, 2)
    assert 150 < x < 200 and 50 < y < 100 and 80 < w < 110 and 90 < h < 120
    mouth = found.landmarks[[61, 291]].mean(axis=0)
    eyes = found.landmarks[[159, 386]].mean(axis=0)
    assert mouth[1] > eyes[1] + 30  # the mouth is below the eyes


def test_it_refuses_a_photo_without_a_face(cat_png):
    """A cat is not a face MediaPipe accepts; the message says what photo to use."""
    with pytest.raises(FaceError, match="No face was found in the portrait"):
        face.find_face(face.load_portrait(cat_png))


def test_it_refuses_a_photo_with_two_faces(two_faces_png):
    """Two people: the message counts the faces."""
    with pytest.raises(FaceError, match="The portrait shows 2 faces; use a photo of one person"):
        face.find_face(face.load_portrait(two_faces_png))


def test_it_refuses_a_face_too_small(small_face_png):
    """A face under the minimum height names its height and the minimum."""
    with pytest.raises(
        FaceError, match=r"The face is only 5\d pixels tall; it must be at least 80"
    ):
        face.find_face(face.load_portrait(small_face_png))


def test_it_refuses_a_file_that_is_not_an_image(tmp_path):
    """A text file named .png is refused as unreadable, not crashed on."""
    path = tmp_path / "notes.png"
    path.write_text("not a picture")
    with pytest.raises(FaceError, match=r"'notes\.png' is not an image that can be read"):
        face.load_portrait(path)


def test_it_refuses_a_huge_image_before_decoding_it(tmp_path):
    """A 50-megapixel image (small on disk) is refused from its header."""
    path = tmp_path / "huge.png"
    Image.new("1", (10_000, 5_000)).save(path)
    assert path.stat().st_size < 1_000_000
    with pytest.raises(FaceError, match="is 10000x5000 pixels; the limit is 40 megapixels"):
        face.load_portrait(path)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(FaceError, match=r"'gone\.jpg' was not found"):
        face.load_portrait(tmp_path / "gone.jpg")


def test_framing_fills_the_video_with_the_face():
    """Framed to 512x384, the face is about 40% of the height and still one face."""
    photo = astronaut()
    framed = face.frame_portrait(photo, face.find_face(photo), width=512, height=384)
    assert framed.shape == (384, 512, 3)
    again = face.find_face(framed)
    assert 0.3 < again.height / 384 < 0.5
    centre_x = again.box[0] + again.box[2] / 2
    assert abs(centre_x - 256) < 40
    assert np.abs(framed.astype(int) - 128).mean() > 20  # a photo, not a blank
