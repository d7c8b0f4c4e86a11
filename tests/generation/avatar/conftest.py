"""Portraits for the avatar tests.

No photo can be downloaded here, so the portrait is the one scikit-image ships in its wheel:
NASA's public-domain photo of astronaut Eileen Collins (``skimage.data.astronaut``). The other
test images are made from it (two faces, a face too small) or are scikit-image photos without
a human face (a cat, a cup of coffee). MediaPipe really runs on all of them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / "artifacts" / "avatar"


def astronaut() -> np.ndarray:
    """(512, 512, 3) uint8: one face, about 106 pixels tall."""
    return np.asarray(data.astronaut(), dtype=np.uint8)


def save(image: np.ndarray, path: Path) -> Path:
    Image.fromarray(image).save(path)
    return path


@pytest.fixture
def portrait_png(tmp_path: Path) -> Path:
    return save(astronaut(), tmp_path / "maya.png")


@pytest.fixture
def two_faces_png(tmp_path: Path) -> Path:
    crop = astronaut()[20:300, 110:340]
    return save(np.concatenate([crop, crop[:, ::-1]], axis=1), tmp_path / "two.png")


@pytest.fixture
def small_face_png(tmp_path: Path) -> Path:
    half = np.asarray(Image.fromarray(astronaut()).resize((256, 256)), dtype=np.uint8)
    return save(half, tmp_path / "small.png")  # the face is about 53 pixels tall


@pytest.fixture
def cat_png(tmp_path: Path) -> Path:
    return save(np.asarray(data.chelsea(), dtype=np.uint8), tmp_path / "cat.png")


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
