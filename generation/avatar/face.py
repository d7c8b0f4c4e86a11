"""The one face in a portrait: its box and 478 landmarks, or a refusal that says why.

Landmarks come from MediaPipe's face mesh, whose models ship inside the ``mediapipe`` 0.10.21
wheel (nothing is downloaded). The portrait is also framed here: cropped around the face to
the output's aspect ratio, so a small face in a large photo still fills the video.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

MIN_FACE_PIXELS = 80  # face height (brow to chin): a smaller face has too few mouth pixels
MAX_PIXELS = 40_000_000  # larger images are refused before they are decoded
FACE_SHARE = 0.40  # the framed face's height, as a share of the video's height
MAX_FACES = 4

# Landmark indices of MediaPipe's face mesh, each list from the viewer's left to right.
LIPS_UPPER_OUTER = [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291]
LIPS_LOWER_OUTER = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291]
LIPS_UPPER_INNER = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308]
LIPS_LOWER_INNER = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308]
JAW = [172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397]
CHIN = 152
NOSE_BASE = 2
# Eyes as the viewer sees them: "left" is the person's right eye.
LEFT_EYE_UPPER = [33, 246, 161, 160, 159, 158, 157, 173, 133]
LEFT_EYE_LOWER = [33, 7, 163, 144, 145, 153, 154, 155, 133]
RIGHT_EYE_UPPER = [362, 398, 384, 385, 386, 387, 388, 466, 263]
RIGHT_EYE_LOWER = [362, 382, 381, 380, 374, 373, 390, 249, 263]


class FaceError(ValueError):
    """The portrait cannot make a talking head; the message says what to change."""


@dataclass(frozen=True)
class Face:
    """A face in an image: its box (x, y, width, height, pixels) and landmarks (478, 2)."""

    box: tuple[int, int, int, int]
    landmarks: np.ndarray  # (478, 2) float32, pixels (x, y)

    def points(self, indices: list[int]) -> np.ndarray:
        return self.landmarks[indices]  # (K, 2)

    @property
    def height(self) -> int:
        return self.box[3]


def load_portrait(path: Path) -> np.ndarray:
    """Open a portrait as RGB (H, W, 3) uint8, upright as its EXIF says; refuse what is not a
    readable image or is larger than MAX_PIXELS, before decoding it."""
    if not path.is_file():
        raise FaceError(f"The portrait '{path.name}' was not found.")
    try:
        with Image.open(path) as image:
            if image.width * image.height > MAX_PIXELS:
                raise FaceError(
                    f"The portrait is {image.width}x{image.height} pixels; the limit is "
                    f"{MAX_PIXELS // 1_000_000} megapixels. Use a smaller photo."
                )
            image.load()
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except FaceError:
        raise
    except (OSError, Image.DecompressionBombError, ValueError) as exc:
        raise FaceError(
            f"The portrait '{path.name}' is not an image that can be read ({exc})."
        ) from None
    return np.asarray(upright, dtype=np.uint8)


_mesh_lock = threading.Lock()  # MediaPipe graphs are not safe to share between threads
_mesh: Any = None


def _face_mesh() -> Any:
    global _mesh
    if _mesh is None:
        import mediapipe as mp

        _mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=True,
            max_num_faces=MAX_FACES,
            refine_landmarks=True,  # adds the irises (468..477)
            min_detection_confidence=0.5,
        )
    return _mesh


def detect_faces(image: np.ndarray) -> list[Face]:
    """Every face MediaPipe finds in an RGB image (H, W, 3) uint8."""
    height, width = image.shape[:2]
    with _mesh_lock:
        result = _face_mesh().process(np.ascontiguousarray(image))
    faces = []
    for found in result.multi_face_landmarks or []:
        points = np.array([(p.x * width, p.y * height) for p in found.landmark], np.float32)
        x0, y0 = points.min(axis=0)
        x1, y1 = points.max(axis=0)
        box = (int(x0), int(y0), round(float(x1 - x0)), round(float(y1 - y0)))
        faces.append(Face(box=box, landmarks=points))
    return faces


def find_face(image: np.ndarray, *, min_pixels: int = MIN_FACE_PIXELS) -> Face:
    """The one face of a portrait, or FaceError saying why the portrait cannot be used."""
    faces = detect_faces(image)
    if not faces:
        raise FaceError(
            "No face was found in the portrait. Use a photo where one person faces the camera, "
            "with the whole face in view."
        )
    if len(faces) > 1:
        raise FaceError(f"The portrait shows {len(faces)} faces; use a photo of one person alone.")
    face = faces[0]
    if face.height < min_pixels:
        raise FaceError(
            f"The face is only {face.height} pixels tall; it must be at least {min_pixels}. "
            "Use a closer or larger photo."
        )
    return face


def frame_portrait(image: np.ndarray, face: Face, *, width: int, height: int) -> np.ndarray:
    """Crop the portrait around the face to width:height, the face about FACE_SHARE of the
    height (less when the photo has no more room), and resize to width x height."""
    image_h, image_w = image.shape[:2]
    crop_h = face.height / FACE_SHARE
    crop_w = crop_h * width / height
    scale = min(1.0, image_w / crop_w, image_h / crop_h)  # the photo may be too small
    if scale < 1.0:
        crop_w, crop_h = crop_w * scale, crop_h * scale
    # Grow towards the whole photo when it is smaller than the face alone would need? No:
    # the crop never exceeds the photo, so its aspect ratio is always the video's.
    x, y, w, h = face.box
    centre_x = x + w / 2
    centre_y = y + h * 0.55  # a little headroom: the face sits just above the middle
    left = min(max(centre_x - crop_w / 2, 0.0), image_w - crop_w)
    top = min(max(centre_y - crop_h / 2, 0.0), image_h - crop_h)
    box = (round(left), round(top), round(left + crop_w), round(top + crop_h))
    framed = Image.fromarray(image).resize((width, height), Image.Resampling.LANCZOS, box=box)
    return np.asarray(framed, dtype=np.uint8)
