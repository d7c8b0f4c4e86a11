"""Rendering: frames to an MP4, a poster, and probing the result."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from generation import render


def moving_bar(frames: int = 12, height: int = 48, width: int = 64) -> np.ndarray:
    """A white bar crossing a dark frame, so frames differ."""
    video = np.full((frames, height, width, 3), 30, dtype=np.uint8)
    for index in range(frames):
        x = index * (width - 8) // max(frames - 1, 1)
        video[index, :, x : x + 8] = 230
    return video


def test_it_writes_an_mp4_that_reads_back_with_its_frames_size_and_rate(tmp_path):
    """The MP4 has every frame, the frame size and the frame rate it was given."""
    path = render.write_mp4(moving_bar(12), tmp_path / "clip.mp4", fps=12)
    video = render.probe(path)
    assert (video.frames, video.width, video.height, video.fps) == (12, 64, 48, 12.0)
    assert video.duration == pytest.approx(1.0, abs=0.1)


def test_the_mp4_plays_in_browsers(tmp_path):
    """H.264 in yuv420p with the index at the front of the file."""
    import av

    path = render.write_mp4(moving_bar(), tmp_path / "clip.mp4", fps=8)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
    data = path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat"), "+faststart puts the index first"


def test_odd_sides_are_padded_to_even(tmp_path):
    """yuv420p needs even sides; an odd frame is padded by one pixel, not cropped."""
    path = render.write_mp4(moving_bar(3, height=33, width=45), tmp_path / "odd.mp4", fps=8)
    video = render.probe(path)
    assert (video.width, video.height) == (46, 34)


def test_the_padding_repeats_the_edge(tmp_path):
    """The added row and column copy their neighbours, so no dark line shows at the edge."""
    import av

    frames = np.full((2, 33, 45, 3), 200, dtype=np.uint8)
    path = render.write_mp4(frames, tmp_path / "odd.mp4", fps=8)
    with av.open(str(path)) as container:
        first = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert first[-1].min() > 180 and first[:, -1].min() > 180


def test_the_frames_survive_encoding(tmp_path):
    """The decoded frames look like the frames that went in (CRF 18 is near lossless)."""
    import av

    frames = moving_bar(6)
    path = render.write_mp4(frames, tmp_path / "clip.mp4", fps=8)
    with av.open(str(path)) as container:
        decoded = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])
    assert np.abs(decoded.astype(int) - frames).mean() < 4


def test_the_poster_is_the_middle_frame(tmp_path):
    """The poster JPEG shows the middle frame."""
    frames = moving_bar(5)
    poster = render.write_poster(frames, tmp_path / "clip.jpg")
    with Image.open(poster) as image:
        assert image.format == "JPEG"
        assert np.abs(np.asarray(image, dtype=int) - frames[2]).mean() < 6


def test_frames_of_the_wrong_type_are_refused(tmp_path):
    """Float frames are a ValueError before ffmpeg is started."""
    with pytest.raises(ValueError, match="uint8 frames"):
        render.write_mp4(np.zeros((2, 8, 8, 3)), tmp_path / "x.mp4", fps=8)


def test_a_missing_ffprobe_is_reported_with_how_to_install_it(tmp_path, monkeypatch):
    """Without the ffprobe binary the error says to install it (the encoder needs none)."""
    path = render.write_mp4(moving_bar(2), tmp_path / "x.mp4", fps=8)
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    with pytest.raises(render.RenderError, match="ffprobe is not installed"):
        render.probe(path)


def test_probing_a_file_that_is_not_a_video_fails_clearly(tmp_path):
    """ffprobe's complaint becomes a RenderError naming the file."""
    bogus = tmp_path / "bogus.mp4"
    bogus.write_text("nope")
    with pytest.raises(render.RenderError, match=r"bogus\.mp4"):
        render.probe(bogus)


def test_the_sound_of_another_video_is_copied_as_it_is(tmp_path):
    """audio_from copies the sound packet for packet (no second AAC encode); frames past
    its end (an end card) are silent, and the index stays at the front."""
    import subprocess

    import av

    source = tmp_path / "talk.mp4"
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-y"),
            *("-f", "lavfi", "-i", "testsrc=size=64x48:rate=8:duration=1"),
            *("-f", "lavfi", "-i", "sine=frequency=440:duration=1"),
            *("-c:v", "libx264", "-c:a", "aac", "-shortest", str(source)),
        ],
        check=True,
    )
    path = render.write_mp4(moving_bar(16), tmp_path / "out.mp4", fps=8, audio_from=source)

    def sound(p):
        with av.open(str(p)) as box:
            return [bytes(packet) for packet in box.demux(audio=0) if packet.size]

    assert sound(path) == sound(source)
    with av.open(str(path)) as box:
        assert box.streams.video[0].frames == 16
        seconds = float(box.streams.audio[0].duration * box.streams.audio[0].time_base)
    assert seconds == pytest.approx(1.0, abs=0.05)
    data = path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")


def test_a_video_without_sound_stays_silent(tmp_path):
    """audio_from on a silent MP4 adds no audio stream."""
    import av

    silent = render.write_mp4(moving_bar(4), tmp_path / "silent.mp4", fps=8)
    path = render.write_mp4(moving_bar(4), tmp_path / "out.mp4", fps=8, audio_from=silent)
    with av.open(str(path)) as box:
        assert not box.streams.audio
