"""Benchmark of the talking avatar: lip sync, identity and speed, measured on the MP4s alone.

    .venv/bin/python -m bench.avatar_lipsync [--voices joe espeak-en-us]

1. Calibration: a clip in sync by construction (the mouth opened in proportion to the audio's
   own energy on each frame) gives the measure's baseline lag.
2. Lip sync: for each script and voice, the pipeline's MP4 is measured (MediaPipe landmarks on
   the output frames vs the audio's energy envelope): the lag of best correlation and the
   correlation there. Targets: lag within 1 frame of the baseline, correlation >= 0.75.
   The same MP4 with its sound moved 200 ms later is measured too: its lag must be ~5 frames off.
3. Identity: SSIM with the framed portrait outside the mouth's region (target >= 0.95).
4. Speed: a 10-second 512x512 talking head, warm (voice and face models loaded), against its
   duration (target: faster than real time, on the 2-core machine).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

from generation.avatar import animate, encode, face, measure, tts
from generation.pipelines import avatar

SCRIPTS = (
    "Hi Ana! I'm Maya from Acme. We make short product videos that your customers will love, "
    "and we would be glad to show you how. Book a call this week, and bring your questions.",
    "Thank you for joining us today. Our new spring collection is here, with bright colours "
    "and soft fabrics for every room of your home.",
    "Good morning, team. Sales grew by twelve percent this quarter. Let's keep the momentum "
    "going and meet our goals together.",
)
FPS = 25
SIZE = 512


def calibration_clip(portrait: Path, workdir: Path) -> Path:
    """A clip whose mouth opens with the audio's energy on each frame: in sync by construction."""
    photo = face.load_portrait(portrait)
    framed = face.frame_portrait(photo, face.find_face(photo), width=SIZE, height=SIZE)
    animator = animate.Animator(framed, face.find_face(framed))
    speech = tts.speak(SCRIPTS[0], voice="espeak-en-us")
    wav = tts.write_wav(speech, workdir / "calibration.wav")
    frames_count = int(np.ceil(speech.duration * FPS))
    energy = measure.energy_envelope(
        measure.read_audio(wav), fps=FPS, frames=frames_count
    )  # the WAV read back at the measure's rate
    jaw = np.clip(energy / np.percentile(energy, 95), 0.0, 1.0) * 0.85
    frames = (animator.frame(animate.Pose(jaw=float(j))) for j in jaw)
    output = workdir / "calibration.mp4"
    encode.write_mp4_with_audio(frames, output, fps=FPS, width=SIZE, height=SIZE, audio=wav)
    return output


def shifted(path: Path, seconds: float) -> Path:
    """The same MP4 with its sound ``seconds`` later (streams copied, nothing re-encoded)."""
    output = path.with_name(f"{path.stem}-shifted.mp4")
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            str(path),
            "-itsoffset",
            str(seconds),
            "-i",
            str(path),
            "-map",
            "0:v",
            "-map",
            "1:a",
            "-c",
            "copy",
            str(output),
        ],
        check=True,
    )
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", nargs="+", default=["joe", "espeak-en-us"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-avatar-") as tmp:
        workdir = Path(tmp)
        portrait = workdir / "astronaut.png"
        Image.fromarray(data.astronaut()).save(portrait)

        # 1. Calibration.
        baseline = measure.measure_sync(calibration_clip(portrait, workdir))
        print(
            f"calibration (mouth = audio energy): lag {baseline.lag:+d} frames, "
            f"correlation {baseline.correlation:.3f}"
        )

        # 2. and 3. Lip sync and identity per script and voice; the shifted copy.
        print(
            f"\n{'voice':<14}{'script':>7}{'seconds':>9}{'lag':>6}{'corr':>7}"
            f"{'in target':>11}{'SSIM mean':>11}{'SSIM min':>10}"
        )
        correlations, lags, ssims = [], [], []
        for voice in args.voices:
            for number, script in enumerate(SCRIPTS, start=1):
                output = workdir / f"{voice}-{number}.mp4"
                result = avatar.generate(
                    avatar.AvatarRequest(
                        image_path=portrait,
                        script=script,
                        voice=voice,
                        fps=FPS,
                        width=SIZE,
                        height=SIZE,
                        captions="none",
                        seed=number,
                    ),
                    output=output,
                )
                sync = measure.measure_sync(output)
                frames, _ = measure.read_video(output)
                photo = face.load_portrait(portrait)
                framed = face.frame_portrait(photo, face.find_face(photo), width=SIZE, height=SIZE)
                ssim = measure.identity_ssim(frames, framed)
                ok = abs(sync.lag - baseline.lag) <= 1 and sync.correlation >= 0.75
                correlations.append(sync.correlation)
                lags.append(sync.lag)
                ssims.append(ssim)
                print(
                    f"{voice:<14}{number:>7}{result.details['audio_seconds']:>9.1f}"
                    f"{sync.lag:>+6d}{sync.correlation:>7.3f}{'yes' if ok else 'NO':>11}"
                    f"{ssim.mean():>11.3f}{ssim.min():>10.3f}"
                )
        late = measure.measure_sync(shifted(workdir / f"{args.voices[0]}-1.mp4", 0.2))
        print(
            f"\nsound moved 200 ms later ({args.voices[0]}, script 1): lag {late.lag:+d} frames "
            f"(baseline {baseline.lag:+d}), correlation {late.correlation:.3f}"
        )
        every = np.concatenate(ssims)
        print(
            f"all clips: correlation mean {np.mean(correlations):.3f} min "
            f"{np.min(correlations):.3f}; lags {sorted(set(lags))}; SSIM outside the mouth "
            f"mean {every.mean():.3f} min {every.min():.3f}"
        )

        # 4. Speed: warm (the first run above loaded the voice and the face mesh).
        script = SCRIPTS[0]  # about ten seconds
        for voice in args.voices:
            started = time.monotonic()
            result = avatar.generate(
                avatar.AvatarRequest(
                    image_path=portrait,
                    script=script,
                    voice=voice,
                    fps=FPS,
                    width=SIZE,
                    height=SIZE,
                    captions="burn",
                    seed=9,
                ),
                output=workdir / f"speed-{voice}.mp4",
            )
            seconds = time.monotonic() - started
            video = result.num_frames / result.fps
            print(
                f"speed, {voice}: {video:.1f} s of {SIZE}x{SIZE} video at {FPS} fps "
                f"(burned captions) in {seconds:.1f} s: {video / seconds:.2f}x real time"
            )


if __name__ == "__main__":
    main()
