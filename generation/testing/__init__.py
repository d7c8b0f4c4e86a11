"""Test helpers: tiny, randomly initialised video pipelines saved as diffusers folders.

One builder per family layout: Wan 2.1 (text- and image-to-video), Wan 2.2 TI2V-5B, Wan 2.2 A14B
(two experts), LTX-Video and CogVideoX (text- and image-to-video). The components follow diffusers'
own tests for each pipeline (one or two transformer layers, 3- or 8-channel VAEs, 2-layer
UMT5 / T5 encoders, a tiny CLIP vision tower), and the tokenizer is a word-level one built in
code, so no hub access is needed. Each folder loads through the project's loader like a real
model in about a second, and makes 16-32 px clips of noise-like colour on a CPU in a fraction of
a second.
"""

from __future__ import annotations

from generation.testing.common import (
    QWEN_CHAT_TEMPLATE,
    TINY_WORDS,
    _flow_match,
    _seed,
    _tiny_qwen25_vl,
    _tiny_t5,
    _tiny_t5_config,
    _tiny_umt5,
    _tiny_wan_transformer,
    _tiny_wan_vae,
    tiny_tokenizer,
)
from generation.testing.families import (
    build_tiny_cogvideox,
    build_tiny_hunyuan15,
    build_tiny_kandinsky5,
    build_tiny_ltx,
    build_tiny_ltx2,
)
from generation.testing.wan import (
    build_random_wan_lora,
    build_tiny_lora,
    build_tiny_skyreels_v2_df,
    build_tiny_wan,
    build_tiny_wan22_a14b,
    build_tiny_wan22_ti2v,
    build_tiny_wan_i2v,
)

__all__ = [
    "QWEN_CHAT_TEMPLATE",
    "TINY_WORDS",
    "_flow_match",
    "_seed",
    "_tiny_qwen25_vl",
    "_tiny_t5",
    "_tiny_t5_config",
    "_tiny_umt5",
    "_tiny_wan_transformer",
    "_tiny_wan_vae",
    "build_random_wan_lora",
    "build_tiny_cogvideox",
    "build_tiny_hunyuan15",
    "build_tiny_kandinsky5",
    "build_tiny_lora",
    "build_tiny_ltx",
    "build_tiny_ltx2",
    "build_tiny_skyreels_v2_df",
    "build_tiny_wan",
    "build_tiny_wan22_a14b",
    "build_tiny_wan22_ti2v",
    "build_tiny_wan_i2v",
    "tiny_tokenizer",
]
