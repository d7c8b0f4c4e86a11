"""The mouth, eyes and head are drawn on the photo; everything else stays the photo.

Crops of the four looks (mouth closed, half open, wide open, mid-blink) are kept in
artifacts/avatar/ for a person to look at.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from generation.avatar import animate, face
from generation.avatar.animate import Animator, Pose

from .conftest import astronaut


@pytest.fixture(scope="module")
def rig() -> tuple[np.ndarray, face.Face, Animator]:
    photo = astronaut()
    framed = face.frame_portrait(photo, face.find_face(photo), width=512, height=512)
    found = face.find_face(framed)
    return framed, found, Animator(framed, found)


def _box(points: np.ndarray, pad: int) -> tuple[slice, slice]:
    x0, y0 = np.floor(points.min(axis=0)).astype(int) - pad
    x1, y1 = np.ceil(points.max(axis=0)).astype(int) + pad
    return slice(y0, y1), slice(x0, x1)


def _inner_mouth(found: face.Face) -> np.ndarray:
    """A mask of the photo's own opening between the lips (its teeth)."""
    from matplotlib.path import Path as Polygon

    ring = np.concatenate(
        [found.points(face.LIPS_UPPER_INNER), found.points(face.LIPS_LOWER_INNER)[::-1]]
    )
    ys, xs = np.mgrid[0:512, 0:512]
    inside = Polygon(ring).contains_points(np.stack([xs.ravel() + 0.5, ys.ravel() + 0.5], 1))
    return inside.reshape(512, 512)


def test_outside_the_mouth_and_eyes_the_frame_is_the_photo(rig):
    """With head motion off, every pixel outside the mouth's and eyes' regions is unchanged."""
    framed, _, animator = rig
    frame = animator.frame(Pose(jaw=0.8, blink=1.0))
    changed = np.any(frame != framed, axis=-1)
    allowed = np.zeros_like(changed)
    for x0, y0, x1, y1 in [animator.mouth_box, *(eye.box for eye in animator._eyes)]:
        allowed[y0:y1, x0:x1] = True
    assert changed.any()
    assert not (changed & ~allowed).any()


def test_closed_lips_cover_the_photos_teeth(rig):
    """The photo smiles with its teeth showing; closed, the lips cover them (no bright teeth)."""
    framed, found, animator = rig
    teeth = _inner_mouth(found)
    assert teeth.sum() > 100
    photo_light = framed[teeth].mean(axis=1)
    closed_light = animator.frame(Pose()).astype(float)[teeth].mean(axis=1)
    assert (photo_light > 200).mean() > 0.3  # the photo: mostly white teeth
    assert (closed_light > 200).mean() < 0.1  # closed: lips (a highlight on the lower lip)


def test_an_open_mouth_shows_a_dark_cavity_and_teeth(rig):
    """Wide open: a dark inside bigger than at half open, with some light teeth at the top."""
    _, found, animator = rig
    rows, cols = _box(found.points(face.LIPS_LOWER_OUTER + face.LIPS_UPPER_OUTER), 12)

    def dark(pose: Pose) -> int:
        crop = animator.frame(pose)[rows, cols].astype(float).mean(axis=-1)
        return int((crop < 50).sum())

    assert dark(Pose()) < 20
    half, wide = dark(Pose(jaw=0.45)), dark(Pose(jaw=0.9))
    assert 100 < half < wide
    crop = animator.frame(Pose(jaw=0.9))[rows, cols].astype(float)
    assert ((crop.min(axis=-1) > 170) & (crop.max(axis=-1) < 245)).sum() > 30  # teeth


def test_the_jaw_drops_when_the_mouth_opens(rig):
    """The chin moves down with the jaw: the dark edge under the chin is lower when open."""
    framed, found, animator = rig
    chin_x, chin_y = found.landmarks[face.CHIN].astype(int)
    column = slice(chin_x - 3, chin_x + 4)

    def edge(frame: np.ndarray) -> int:
        profile = frame[chin_y - 20 : chin_y + 40, column].astype(float).mean(axis=(1, 2))
        return int(np.argmax(-np.diff(profile)))  # strongest fall from skin to the dark suit

    assert edge(animator.frame(Pose(jaw=0.9))) > edge(framed) + 5


def test_a_blink_covers_the_eyes(rig):
    """Shut, the dark irises are gone under skin-coloured lids."""
    framed, found, animator = rig
    shut = animator.frame(Pose(blink=1.0))
    for iris in (468, 473):  # the irises' centres (MediaPipe's refined landmarks)
        x, y = found.landmarks[iris].astype(int)
        patch = (slice(y - 2, y + 3), slice(x - 2, x + 3))
        assert framed[patch].mean() < 90  # open: a dark iris
        assert shut[patch].mean() > framed[patch].mean() + 40  # shut: the lid and its lashes


def test_blinks_come_every_few_seconds_and_are_short():
    """Ten seconds hold 2 to 5 blinks, each shut for well under half a second."""
    track = animate.blink_track(250, 25, seed=4)
    starts = np.flatnonzero((track[1:] > 0.5) & (track[:-1] <= 0.5))
    assert 2 <= len(starts) <= 5
    assert (track > 0.5).sum() / len(starts) <= 5  # frames shut per blink: at most 0.2 s


def test_idle_head_motion_is_small_and_smooth():
    """The head drifts by under a pixel, never jumping between frames."""
    head = np.array(animate.head_track(250, 25, seed=1, height=512))
    assert 0.15 < np.abs(head[:, :2]).max() < 1.0
    assert 0.05 < np.abs(head[:, 2]).max() <= animate.HEAD_TURN
    assert np.abs(np.diff(head, axis=0)).max() < 0.1


def test_it_keeps_crops_of_the_four_looks(rig, artifacts):
    """Closed, half open, wide open and mid-blink, cropped for a person to look at."""
    _, found, animator = rig
    rows, cols = _box(found.landmarks, 10)
    looks = {
        "closed": Pose(),
        "half-open": Pose(jaw=0.45, spread=0.3),
        "wide-open": Pose(jaw=0.9),
        "mid-blink": Pose(jaw=0.1, blink=0.6),
    }
    crops = []
    for name, pose in looks.items():
        crop = animator.frame(pose)[rows, cols]
        Image.fromarray(crop).resize((crop.shape[1] * 2, crop.shape[0] * 2)).save(
            artifacts / f"{name}.png"
        )
        crops.append(crop)
    Image.fromarray(np.concatenate(crops, axis=1)).save(artifacts / "looks.png")
    assert len({crop.tobytes() for crop in crops}) == 4
