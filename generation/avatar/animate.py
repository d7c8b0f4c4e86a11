"""The portrait, animated: a speaking mouth, blinking eyes and a little idle head motion.

Everything is drawn from the photo itself except the inside of the mouth:

- **Mouth.** Each column of the lower face (in the face's own axes, so a tilted head works)
  is re-mapped vertically through a few knots: nose (fixed), upper lip, the line where the lips
  meet, lower lip, chin (moves with the jaw) and neck (fixed). Opening the mouth moves the lower
  lip and chin down and the upper lip up a little; the photo's own gap between the lips (a
  smile with teeth) is never sampled, so the lips close fully whatever the photo shows.
  Rounding narrows the mouth, spreading widens it. The opening is then painted: a dark
  cavity, upper teeth, a hint of lower teeth and a tongue, with soft edges.
- **Eyes.** The upper lid is drawn down over the eye by the same column re-mapping (the eye
  squeezes to nothing under the lid) and a lash line darkens its edge.
- **Head.** The head region turns and shifts by under a pixel (smooth noise): enough to look
  alive, little enough that the photo's detail (hair) stays the photo's; the background and
  shoulders stay still, with a soft edge between.

Coordinates: ``u`` runs along the eye line (right on screen), ``v`` down the face, both in
pixels, origin at the mouth's centre.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from generation.avatar import face as landmarks
from generation.avatar.face import Face
from generation.avatar.visemes import MouthTrack

BLINK_EVERY = (2.0, 6.0)  # seconds between blinks, drawn uniformly
BLINK_SECONDS = (0.08, 0.05, 0.14)  # closing, shut, opening
HEAD_SHIFT = 0.0008  # idle head translation amplitude, as a share of the video's height
HEAD_TURN = 0.15  # idle head roll amplitude, degrees
OPEN_HEIGHT = 0.55  # the opening at jaw = 1, as a share of the mouth's width

# Colours of the inside of the mouth (RGB, 0..1).
_CAVITY_TOP = np.array([0.07, 0.02, 0.03], np.float32)
_CAVITY_BOTTOM = np.array([0.24, 0.08, 0.09], np.float32)
_TEETH = np.array([0.90, 0.88, 0.82], np.float32)
_TONGUE = np.array([0.66, 0.30, 0.32], np.float32)
_LASH = np.array([0.12, 0.08, 0.08], np.float32)


@dataclass(frozen=True)
class _Axes:
    """The face's frame: origin (mouth centre) and unit axes, in image pixels."""

    origin: np.ndarray  # (2,)
    u: np.ndarray  # (2,) along the eye line
    v: np.ndarray  # (2,) down the face

    def to_face(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = xy - self.origin  # (..., 2)
        return d @ self.u, d @ self.v

    def to_image(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = self.origin[0] + u * self.u[0] + v * self.v[0]
        y = self.origin[1] + u * self.u[1] + v * self.v[1]
        return x, y


class _Curve:
    """A contour as v = f(u), clamped at its ends."""

    def __init__(self, axes: _Axes, points: np.ndarray) -> None:
        u, v = axes.to_face(points)
        order = np.argsort(u)
        self.u, self.v = u[order], v[order]

    def __call__(self, u: np.ndarray) -> np.ndarray:
        return np.interp(u, self.u, self.v).astype(np.float32)


@dataclass(frozen=True)
class Pose:
    """What one frame shows."""

    jaw: float = 0.0
    round: float = 0.0
    spread: float = 0.0
    teeth: float = 0.0
    tongue: float = 0.0
    blink: float = 0.0  # 0 open .. 1 shut
    shift: tuple[float, float] = (0.0, 0.0)  # head translation, pixels
    turn: float = 0.0  # head roll, degrees


class Animator:
    """Draws frames of one framed portrait; set up once, then ``frame(pose)`` per frame."""

    def __init__(self, image: np.ndarray, face: Face) -> None:
        self.image = image
        self.height, self.width = image.shape[:2]
        points = face.landmarks
        left_eye = points[landmarks.LEFT_EYE_UPPER + landmarks.LEFT_EYE_LOWER].mean(axis=0)
        right_eye = points[landmarks.RIGHT_EYE_UPPER + landmarks.RIGHT_EYE_LOWER].mean(axis=0)
        along = (right_eye - left_eye) / np.linalg.norm(right_eye - left_eye)
        down = np.array([-along[1], along[0]], np.float32)
        corners = points[[61, 291]]
        self.axes = _Axes(origin=corners.mean(axis=0), u=along.astype(np.float32), v=down)
        self._setup_mouth(points, face)
        self._eyes = [
            _Eye(
                self.axes, points[landmarks.LEFT_EYE_UPPER], points[landmarks.LEFT_EYE_LOWER], self
            ),
            _Eye(
                self.axes,
                points[landmarks.RIGHT_EYE_UPPER],
                points[landmarks.RIGHT_EYE_LOWER],
                self,
            ),
        ]
        self._setup_head(face)

    # Mouth ---------------------------------------------------------------------------------

    def _setup_mouth(self, points: np.ndarray, face: Face) -> None:
        axes = self.axes
        self.up_out = _Curve(axes, points[landmarks.LIPS_UPPER_OUTER])
        self.lo_out = _Curve(axes, points[landmarks.LIPS_LOWER_OUTER])
        self.up_in = _Curve(axes, points[landmarks.LIPS_UPPER_INNER])
        self.lo_in = _Curve(axes, points[landmarks.LIPS_LOWER_INNER])
        self.jaw_line = _Curve(axes, points[landmarks.JAW])
        u_corners, _ = axes.to_face(points[[61, 291]])
        self.half_width = float(u_corners[1] - u_corners[0]) / 2
        self.centre_u = float(u_corners.mean())
        jaw_u, _ = axes.to_face(points[landmarks.JAW])
        self.jaw_half = float(jaw_u.max() - jaw_u.min()) / 2
        _, nose_v = axes.to_face(points[landmarks.NOSE_BASE])
        _, chin_v = axes.to_face(points[landmarks.CHIN])
        self.nose_v = float(nose_v)
        self.neck_v = float(chin_v) + 0.30 * face.height
        # The photo's own opening at the centre: the jaw moves relative to it.
        centre = np.array([self.centre_u], np.float32)
        self.photo_gap = float(self.lo_in(centre)[0] - self.up_in(centre)[0])
        # Pixels the mouth's re-mapping and painting may touch.
        width = self.half_width * 2
        u_range = np.array(
            [self.centre_u - self.jaw_half * 1.1, self.centre_u + self.jaw_half * 1.1]
        )
        v_range = np.array([self.nose_v, self.neck_v + OPEN_HEIGHT * width])
        self.mouth_box = self._box(u_range, v_range)
        self._mouth_grid = self._grid(self.mouth_box)

    def _box(self, u_range: np.ndarray, v_range: np.ndarray) -> tuple[int, int, int, int]:
        uu, vv = np.meshgrid(u_range, v_range)
        x, y = self.axes.to_image(uu.ravel(), vv.ravel())
        x0 = int(np.clip(np.floor(x.min()), 0, self.width - 1))
        x1 = int(np.clip(np.ceil(x.max()) + 1, 1, self.width))
        y0 = int(np.clip(np.floor(y.min()), 0, self.height - 1))
        y1 = int(np.clip(np.ceil(y.max()) + 1, 1, self.height))
        return x0, y0, x1, y1

    def _grid(self, box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
        """Face coordinates (u, v) of every pixel of a box, each (h, w) float32."""
        x0, y0, x1, y1 = box
        xs, ys = np.meshgrid(
            np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32)
        )
        u, v = self.axes.to_face(np.stack([xs, ys], axis=-1))
        return u.astype(np.float32), v.astype(np.float32)

    def _draw_mouth(self, source: np.ndarray, frame: np.ndarray, pose: Pose) -> None:
        u, v = self._mouth_grid  # (h, w) target coordinates
        width = 2 * self.half_width
        # 1. Rounding narrows the mouth and spreading widens it, fading out above and below the
        # lips and beyond the corners.
        scale = 1.0 + 0.10 * pose.spread - 0.22 * pose.round
        du = np.abs(u - self.centre_u) / self.half_width
        across = np.clip((1.8 - du) / 0.7, 0.0, 1.0)
        lips_top = self.up_out(u) - 0.25 * width
        lips_bottom = self.lo_out(u) + 0.35 * width + OPEN_HEIGHT * width * pose.jaw
        along = np.clip(np.minimum(v - lips_top, lips_bottom - v) / (0.25 * width), 0.0, 1.0)
        u_src = self.centre_u + (u - self.centre_u) / (1.0 + (scale - 1.0) * across * along)
        # 2. The opening's profile along the mouth, and the knots of each column.
        x = (u_src - self.centre_u) / (self.half_width * (1.0 - 0.30 * pose.round))
        inside = np.clip(1.0 - x**2, 0.0, 1.0)
        shape = 0.55 + 0.35 * pose.spread - 0.25 * pose.round  # flatter when spread
        opening = OPEN_HEIGHT * width * pose.jaw * inside**shape  # (h, w)
        lip_inside = np.clip((1.0 - np.abs(x)) / 0.15, 0.0, 1.0)
        margin = 0.03 * width * lip_inside  # keep the photo's teeth out of the lips
        up_out, lo_out = self.up_out(u_src), self.lo_out(u_src)
        up_in, lo_in = self.up_in(u_src) - margin, self.lo_in(u_src) + margin
        meet = (self.up_in(u_src) + self.lo_in(u_src)) / 2
        jaw_weight = np.clip(1.2 - np.abs(u_src - self.centre_u) / self.jaw_half, 0.0, 1.0)
        drop = 0.75 * (OPEN_HEIGHT * width * pose.jaw - self.photo_gap) * jaw_weight
        chin = self.jaw_line(u_src)
        upper_edge = meet - 0.25 * opening - 0.02 * width * pose.round * lip_inside
        lower_edge = meet + 0.75 * opening
        targets = [
            np.full_like(u, self.nose_v),
            up_out - 0.22 * opening,  # the upper lip rises nearly whole, not thinned
            upper_edge,
            lower_edge,
            lower_edge + (lo_out - lo_in),
            chin + drop,
            np.full_like(u, self.neck_v),
        ]
        sources = [
            np.full_like(u, self.nose_v),
            up_out,
            up_in,
            lo_in,
            lo_out,
            chin,
            np.full_like(u, self.neck_v),
        ]
        v_src = _piecewise(v, targets, sources)
        # 3. Sample the photo there.
        map_x, map_y = self.axes.to_image(u_src, v_src)
        warped = (
            cv2.remap(
                source,
                map_x.astype(np.float32),
                map_y.astype(np.float32),
                cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REFLECT,
            ).astype(np.float32)
            / 255.0
        )
        # 4. Paint the opening and the line where closed lips meet, only where they can show
        # (a few pixels around the opening: the rest of the box is lips and skin).
        near = (v > upper_edge - 6) & (v < lower_edge + 6) & (lip_inside > 0)
        if near.any():
            rows, cols = np.flatnonzero(near.any(axis=1)), np.flatnonzero(near.any(axis=0))
            part = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
            warped[part] = self._paint_opening(
                warped[part],
                u[part],
                v[part],
                u_src[part],
                upper_edge[part],
                lower_edge[part],
                pose,
                lip_inside[part],
            )
        x0, y0, x1, y1 = self.mouth_box
        frame[y0:y1, x0:x1] = np.clip(warped * 255.0 + 0.5, 0, 255).astype(np.uint8)

    def _paint_opening(
        self,
        lips: np.ndarray,
        u: np.ndarray,
        v: np.ndarray,
        u_src: np.ndarray,
        top: np.ndarray,
        bottom: np.ndarray,
        pose: Pose,
        lip_inside: np.ndarray,
    ) -> np.ndarray:
        width = 2 * self.half_width
        gap = np.maximum(bottom - top, 1e-3)  # (h, w) opening height per column
        # Soft edges: a pixel's share of the opening, over about one pixel.
        alpha = _smoothstep(v - top + 0.5) * _smoothstep(bottom - v + 0.5) * lip_inside
        depth = np.clip((v - top) / gap, 0.0, 1.0)[..., None]  # 0 at the upper lip
        colour = _CAVITY_TOP + (_CAVITY_BOTTOM - _CAVITY_TOP) * depth
        side = np.clip(np.abs(u_src - self.centre_u) / (0.75 * self.half_width), 0.0, 1.0)
        # Tongue: a rounded hump at the bottom, raised for L and TH.
        tongue_top = bottom - gap * (0.32 + 0.45 * pose.tongue)
        across = np.clip(np.abs(u_src - self.centre_u) / (0.55 * self.half_width), 0.0, 1.0)
        hump = tongue_top + (bottom - tongue_top) * across**1.6
        tongue = _smoothstep((v - hump) / 2.0 + 0.5) * np.clip(gap / (0.08 * width), 0.0, 1.0)
        shade = (1.0 - 0.35 * side)[..., None]
        colour = colour + (_TONGUE * shade - colour) * (tongue * 0.9)[..., None]
        # Lower teeth: a thin band above the lower lip when the jaw is barely open.
        lower_h = np.minimum(0.05 * width, 0.3 * gap) * (0.4 + 0.6 * pose.spread)
        lower = _smoothstep(v - (bottom - lower_h) + 0.5) * (1.0 - side) * 0.55
        colour = colour + (_TEETH * 0.8 * shade - colour) * lower[..., None]
        # Upper teeth under the upper lip; for F and V they fill the small opening.
        teeth_h = np.minimum(
            0.075 * width * (1.0 - 0.6 * pose.round), gap * (0.45 + 0.55 * pose.teeth)
        )
        upper = _smoothstep(top + teeth_h - v + 0.5) * _smoothstep((1.0 - side) * 2.5)
        gaps = 1.0 - 0.12 * np.exp(
            -(((u_src - self.centre_u) / 0.6) ** 2)
        )  # between the front teeth
        light = (1.0 - 0.12 * side)[..., None] * gaps[..., None]
        colour = colour + (_TEETH * light - colour) * upper[..., None]
        out = lips + (colour - lips) * alpha[..., None]
        # The inner edge of the lips is in shadow; closed lips show a dark line where they meet.
        edge = np.exp(-np.minimum(np.abs(v - top), np.abs(v - bottom)) / 1.2) * lip_inside
        closed = np.clip(1.0 - gap / 2.0, 0.0, 1.0)
        darken = np.maximum(
            0.22 * edge * (1 - alpha),
            0.35 * closed * np.exp(-(((v - (top + bottom) / 2) / 0.9) ** 2)) * lip_inside,
        )
        return out * (1.0 - darken[..., None] * 0.75)

    # Head ----------------------------------------------------------------------------------

    def _setup_head(self, face: Face) -> None:
        x, y, w, h = face.box
        self.head_centre = np.array([x + w / 2, y + h * 0.45], np.float32)
        self.head_pivot = np.array([x + w / 2, y + h * 1.15], np.float32)  # the neck
        radius = np.array([0.95 * h, 1.15 * h], np.float32)
        box = (
            max(0, int(self.head_centre[0] - 1.7 * radius[0])),
            max(0, int(self.head_centre[1] - 1.7 * radius[1])),
            min(self.width, int(self.head_centre[0] + 1.7 * radius[0]) + 1),
            min(self.height, int(self.head_centre[1] + 1.7 * radius[1]) + 1),
        )
        self.head_box = box
        xs, ys = np.meshgrid(
            np.arange(box[0], box[2], dtype=np.float32), np.arange(box[1], box[3], dtype=np.float32)
        )
        distance = np.hypot(
            (xs - self.head_centre[0]) / radius[0], (ys - self.head_centre[1]) / radius[1]
        )
        weight = _smoothstep((1.6 - distance) / 0.6).astype(np.float32)
        # A turn by a and a shift by s moves each pixel by (R(a) - 1)(p - pivot) - s; blended by
        # the weight, that is a sum of these three fields with per-frame factors.
        self._head_fields = (
            weight * (xs - self.head_pivot[0]),
            weight * (ys - self.head_pivot[1]),
            weight,
        )
        self._head_xy = (xs, ys)

    def _move_head(self, frame: np.ndarray, pose: Pose) -> np.ndarray:
        if pose.turn == 0.0 and pose.shift == (0.0, 0.0):
            return frame
        xs, ys = self._head_xy
        wx, wy, weight = self._head_fields
        angle = np.deg2rad(pose.turn)
        cos, sin = np.float32(np.cos(angle)), np.float32(np.sin(angle))
        sx, sy = pose.shift
        # Where each output pixel comes from: the inverse of a turn about the neck and a shift.
        map_x = xs + (cos - 1) * wx + sin * wy - np.float32(cos * sx + sin * sy) * weight
        map_y = ys - sin * wx + (cos - 1) * wy - np.float32(-sin * sx + cos * sy) * weight
        x0, y0, x1, y1 = self.head_box
        moved = frame.copy()
        moved[y0:y1, x0:x1] = cv2.remap(
            frame, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )
        return moved

    # Frames --------------------------------------------------------------------------------

    def frame(self, pose: Pose) -> np.ndarray:
        """One RGB frame (H, W, 3) uint8 showing ``pose``."""
        frame = self.image.copy()
        self._draw_mouth(self.image, frame, pose)
        for eye in self._eyes:
            eye.draw(self.image, frame, pose.blink)
        return self._move_head(frame, pose)


class _Eye:
    """One eye's lids, re-mapped column by column for a blink."""

    def __init__(
        self, axes: _Axes, upper: np.ndarray, lower: np.ndarray, animator: Animator
    ) -> None:
        centre = np.concatenate([upper, lower]).mean(axis=0)
        self.axes = _Axes(origin=centre, u=axes.u, v=axes.v)
        self.upper = _Curve(self.axes, upper)
        self.lower = _Curve(self.axes, lower)
        u, _ = self.axes.to_face(upper)
        self.width = float(u.max() - u.min())
        u_range = np.array([u.min() - 0.2 * self.width, u.max() + 0.2 * self.width])
        top = float(self.upper(self.upper.u).min()) - 0.6 * self.width
        bottom = float(self.lower(self.lower.u).max()) + 0.4 * self.width
        uu, vv = np.meshgrid(u_range, np.array([top, bottom]))
        x, y = self.axes.to_image(uu.ravel(), vv.ravel())
        self.box = (
            max(0, int(np.floor(x.min()))),
            max(0, int(np.floor(y.min()))),
            min(animator.width, int(np.ceil(x.max())) + 1),
            min(animator.height, int(np.ceil(y.max())) + 1),
        )
        x0, y0, x1, y1 = self.box
        xs, ys = np.meshgrid(
            np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32)
        )
        self.u, self.v = self.axes.to_face(np.stack([xs, ys], axis=-1))
        self.top, self.bottom = top, bottom

    def draw(self, source: np.ndarray, frame: np.ndarray, blink: float) -> None:
        if blink <= 0.0:
            return
        u, v = self.u, self.v
        upper, lower = self.upper(u), self.lower(u)
        gap = np.maximum(lower - upper, 0.0)
        lid = upper + 0.88 * blink * gap  # the upper lid's edge comes down ...
        rim = lower - 0.08 * blink * gap  # ... and the lower lid rises a little
        targets = [
            np.full_like(u, self.top),
            lid,
            np.maximum(rim, lid + 1e-3),
            np.full_like(u, self.bottom),
        ]
        sources = [np.full_like(u, self.top), upper, lower, np.full_like(u, self.bottom)]
        v_src = _piecewise(v, targets, sources)
        map_x, map_y = self.axes.to_image(u, v_src)
        warped = (
            cv2.remap(
                source,
                map_x.astype(np.float32),
                map_y.astype(np.float32),
                cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REFLECT,
            ).astype(np.float32)
            / 255.0
        )
        # Lashes along the lid's edge, where the eye is (not beyond its corners).
        lash = 0.65 * blink * np.exp(-(((v - lid) / 1.1) ** 2)) * np.clip(gap / 2.0, 0.0, 1.0)
        warped = warped + (_LASH - warped) * lash[..., None]
        x0, y0, x1, y1 = self.box
        frame[y0:y1, x0:x1] = np.clip(warped * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _piecewise(v: np.ndarray, targets: list[np.ndarray], sources: list[np.ndarray]) -> np.ndarray:
    """Per pixel, map ``v`` through the knots (targets[k] -> sources[k]), linear between knots
    and the identity outside them. Knots are made increasing first (a collapsed lip)."""
    t = np.stack(targets)  # (K, h, w)
    s = np.stack(sources)
    steps = np.arange(len(targets), dtype=np.float32)[:, None, None] * np.float32(1e-3)
    t = np.maximum.accumulate(t, axis=0) + steps
    result = v.copy()
    for k in range(len(targets) - 1):
        inside = (v >= t[k]) & (v < t[k + 1])
        fraction = (v - t[k]) / (t[k + 1] - t[k])
        result = np.where(inside, s[k] + fraction * (s[k + 1] - s[k]), result)
    return result


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


# Timing -----------------------------------------------------------------------------------------


def blink_track(num_frames: int, fps: int, *, seed: int) -> np.ndarray:
    """How shut the eyes are on each frame (0..1): natural blinks every few seconds."""
    rng = np.random.default_rng(seed)
    times = (np.arange(num_frames) + 0.5) / fps
    track = np.zeros(num_frames, np.float32)
    closing, shut, opening = BLINK_SECONDS
    at = rng.uniform(0.6, BLINK_EVERY[0])
    while at < times[-1] if num_frames else False:
        t = times - at
        rise = np.clip(t / closing, 0.0, 1.0)
        fall = np.clip(1.0 - (t - closing - shut) / opening, 0.0, 1.0)
        track = np.maximum(track, np.where(t < 0, 0.0, np.minimum(rise, fall)))
        at += rng.uniform(*BLINK_EVERY)
    return _smoothstep(track)


def head_track(
    num_frames: int, fps: int, *, seed: int, height: int
) -> list[tuple[float, float, float]]:
    """(shift x, shift y, turn degrees) per frame: slow, smooth, small."""
    rng = np.random.default_rng(seed + 1)
    times = np.arange(num_frames) / fps
    phases = rng.uniform(0, 2 * np.pi, size=6)

    def wave(i: int) -> np.ndarray:
        return 0.6 * np.sin(2 * np.pi * 0.23 * times + phases[i]) + 0.4 * np.sin(
            2 * np.pi * 0.11 * times + phases[i + 3]
        )

    shift = HEAD_SHIFT * height
    return [
        (float(shift * a), float(shift * 0.7 * b), float(HEAD_TURN * c))
        for a, b, c in zip(wave(0), wave(1), wave(2), strict=True)
    ]


def poses(mouth: MouthTrack, *, seed: int, height: int, motion: bool = True) -> Iterator[Pose]:
    """A pose per frame: the mouth from the voice, blinks and head motion from the seed."""
    blinks = blink_track(len(mouth), mouth.fps, seed=seed)
    head = head_track(len(mouth), mouth.fps, seed=seed, height=height)
    for i in range(len(mouth)):
        dx, dy, turn = head[i] if motion else (0.0, 0.0, 0.0)
        yield Pose(
            jaw=float(mouth.jaw[i]),
            round=float(mouth.round[i]),
            spread=float(mouth.spread[i]),
            teeth=float(mouth.teeth[i]),
            tongue=float(mouth.tongue[i]),
            blink=float(blinks[i]),
            shift=(dx, dy),
            turn=turn,
        )
