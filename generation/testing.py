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

from collections.abc import Mapping
from pathlib import Path
from typing import Any

TINY_WORDS = (
    "a an the of on in at and with red green blue yellow white black ball cat dog car bird "
    "bounces runs flies rolls jumps over under grass sky sea beach city street night day slow "
    "fast zoom pan left right up down camera sunset"
)


def build_tiny_wan(path: Path, seed: int = 0) -> Path:
    """Write a tiny random Wan 2.1 text-to-video WanPipeline to ``path``; returns ``path``."""
    from diffusers import WanPipeline

    _seed(seed)
    tokenizer = tiny_tokenizer()
    pipe = WanPipeline(
        tokenizer=tokenizer,
        text_encoder=_tiny_umt5(len(tokenizer)),
        vae=_tiny_wan_vae(),
        scheduler=_flow_match(shift=7.0),
        transformer=_tiny_wan_transformer(in_channels=16),
    )
    pipe.save_pretrained(path, safe_serialization=True)
    return path


def build_tiny_wan_i2v(path: Path, seed: int = 0) -> Path:
    """A tiny Wan 2.1 image-to-video pipeline: a CLIP image encoder, 36 input channels."""
    from diffusers import WanImageToVideoPipeline
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    _seed(seed)
    tokenizer = tiny_tokenizer()
    image_encoder = CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            hidden_size=4,  # = the transformer's image_dim
            projection_dim=4,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=32,
            intermediate_size=16,
            patch_size=1,
        )
    )
    pipe = WanImageToVideoPipeline(
        tokenizer=tokenizer,
        text_encoder=_tiny_umt5(len(tokenizer)),
        vae=_tiny_wan_vae(),
        scheduler=_flow_match(shift=7.0),
        image_processor=CLIPImageProcessor(crop_size=32, size=32),
        image_encoder=image_encoder,
        # noise (16) + the image's latents (16) + a 4-channel first-frame mask
        transformer=_tiny_wan_transformer(in_channels=36, image_dim=4),
    )
    pipe.save_pretrained(path, safe_serialization=True)
    return path


def build_tiny_wan22_ti2v(path: Path, seed: int = 0) -> Path:
    """A tiny Wan 2.2 TI2V-5B layout: a 48-channel, 16x VAE and ``expand_timesteps``."""
    from diffusers import AutoencoderKLWan, WanPipeline

    _seed(seed)
    tokenizer = tiny_tokenizer()
    vae = AutoencoderKLWan(
        base_dim=3,
        z_dim=48,
        in_channels=12,  # 2x2 pixel patches of RGB
        out_channels=12,
        is_residual=True,
        patch_size=2,
        latents_mean=[0.0] * 48,
        latents_std=[1.0] * 48,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        scale_factor_spatial=16,
        scale_factor_temporal=4,
        temperal_downsample=[False, True, True],
    )
    pipe = WanPipeline(
        tokenizer=tokenizer,
        text_encoder=_tiny_umt5(len(tokenizer)),
        vae=vae,
        scheduler=_flow_match(shift=5.0),
        transformer=_tiny_wan_transformer(in_channels=48, out_channels=48),
        expand_timesteps=True,
    )
    pipe.save_pretrained(path, safe_serialization=True)
    return path


def build_tiny_wan22_a14b(path: Path, mode: str = "text-to-video", seed: int = 0) -> Path:
    """A tiny Wan 2.2 A14B layout: a high-noise ``transformer`` and a low-noise ``transformer_2``.

    Text-to-video switches experts at 0.875 of the training timesteps, image-to-video at 0.9
    (and has no CLIP image encoder), as the published A14B folders do.
    """
    from diffusers import WanImageToVideoPipeline, WanPipeline

    _seed(seed)
    tokenizer = tiny_tokenizer()
    common = {
        "tokenizer": tokenizer,
        "text_encoder": _tiny_umt5(len(tokenizer)),
        "vae": _tiny_wan_vae(),
        "scheduler": _flow_match(shift=5.0),
    }
    if mode == "text-to-video":
        pipe: Any = WanPipeline(
            **common,
            transformer=_tiny_wan_transformer(in_channels=16),
            transformer_2=_tiny_wan_transformer(in_channels=16),
            boundary_ratio=0.875,
        )
    else:
        pipe = WanImageToVideoPipeline(
            **common,
            transformer=_tiny_wan_transformer(in_channels=36),
            transformer_2=_tiny_wan_transformer(in_channels=36),
            boundary_ratio=0.9,
        )
    pipe.save_pretrained(path, safe_serialization=True)
    return path


def build_tiny_ltx(path: Path, seed: int = 0) -> Path:
    """A tiny LTX-Video pipeline (one checkpoint for both modes), as in diffusers' LTX tests."""
    from diffusers import AutoencoderKLLTXVideo, LTXPipeline, LTXVideoTransformer3DModel

    _seed(seed)
    tokenizer = tiny_tokenizer()
    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=8,
        cross_attention_dim=32,
        num_layers=1,
        caption_channels=32,  # = the T5's d_model
    )
    vae = AutoencoderKLLTXVideo(
        in_channels=3,
        out_channels=3,
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, False, False),  # 4x in space and in time
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=False,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    pipe = LTXPipeline(
        scheduler=_flow_match(),
        vae=vae,
        text_encoder=_tiny_t5(len(tokenizer)),
        tokenizer=tokenizer,
        transformer=transformer,
    )
    pipe.save_pretrained(path, safe_serialization=True)
    return path


def build_tiny_cogvideox(path: Path, mode: str = "text-to-video", seed: int = 0) -> Path:
    """A tiny CogVideoX pipeline (text- or image-to-video), as in diffusers' CogVideoX tests."""
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXDDIMScheduler,
        CogVideoXImageToVideoPipeline,
        CogVideoXPipeline,
        CogVideoXTransformer3DModel,
    )

    _seed(seed)
    tokenizer = tiny_tokenizer()
    image = mode == "image-to-video"
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=4,
        attention_head_dim=16,  # rotary positions split it in three even parts
        in_channels=8 if image else 4,  # image-to-video adds the image's latents
        out_channels=4,
        time_embed_dim=2,
        text_embed_dim=32,  # = the T5's d_model
        num_layers=1,
        sample_width=2,
        sample_height=2,
        sample_frames=9,
        patch_size=2,
        temporal_compression_ratio=4,
        max_text_seq_length=16,
        use_rotary_positional_embeddings=image,
    )
    vae = AutoencoderKLCogVideoX(
        in_channels=3,
        out_channels=3,
        down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=2,
        temporal_compression_ratio=4,
    )
    pipeline_class = CogVideoXImageToVideoPipeline if image else CogVideoXPipeline
    pipe = pipeline_class(
        tokenizer=tokenizer,
        text_encoder=_tiny_t5(len(tokenizer)),
        vae=vae,
        transformer=transformer,
        scheduler=CogVideoXDDIMScheduler(),
    )
    pipe.save_pretrained(path, safe_serialization=True)
    return path


def tiny_tokenizer() -> Any:
    """A word-level tokenizer over TINY_WORDS with T5's special tokens (ids 0, 1 and 2)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    pad, end, unknown = "<pad>", "</s>", "<unk>"
    vocab = {word: index for index, word in enumerate([pad, end, unknown, *TINY_WORDS.split()])}
    word_level = Tokenizer(models.WordLevel(vocab=vocab, unk_token=unknown))
    word_level.normalizer = normalizers.Lowercase()
    word_level.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(
        tokenizer_object=word_level, pad_token=pad, eos_token=end, unk_token=unknown
    )


def _seed(seed: int) -> None:
    """Seed the random weights, and keep saving quiet (no progress bars on a test's stderr)."""
    import diffusers
    import torch
    import transformers

    diffusers.utils.logging.disable_progress_bar()
    transformers.utils.logging.disable_progress_bar()
    torch.manual_seed(seed)


def _flow_match(**config: float) -> Any:
    from diffusers import FlowMatchEulerDiscreteScheduler

    return FlowMatchEulerDiscreteScheduler(**config)


def _tiny_umt5(vocab_size: int) -> Any:
    from transformers import UMT5Config, UMT5EncoderModel

    return UMT5EncoderModel(UMT5Config(**_tiny_t5_config(vocab_size)))


def _tiny_t5(vocab_size: int) -> Any:
    from transformers import T5Config, T5EncoderModel

    return T5EncoderModel(T5Config(**_tiny_t5_config(vocab_size)))


def _tiny_t5_config(vocab_size: int) -> dict[str, Any]:
    return {
        "vocab_size": vocab_size,
        "d_model": 32,  # = the transformers' text_dim
        "d_kv": 8,
        "d_ff": 37,
        "num_layers": 2,
        "num_heads": 4,
        "relative_attention_num_buckets": 8,
        "pad_token_id": 0,
        "eos_token_id": 1,
        "decoder_start_token_id": 0,
    }


def _tiny_wan_vae() -> Any:
    from diffusers import AutoencoderKLWan

    return AutoencoderKLWan(
        base_dim=3,
        z_dim=16,  # Wan 2.1's 16 latent channels, so the published preview projection applies
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
    )


def _tiny_wan_transformer(
    *, in_channels: int, out_channels: int = 16, image_dim: int | None = None
) -> Any:
    from diffusers import WanTransformer3DModel

    return WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=in_channels,
        out_channels=out_channels,
        text_dim=32,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
        image_dim=image_dim,
    )


def build_tiny_lora(model: Path, out: Path, seed: int = 0) -> Path:
    """Write a random LoRA for the transformer of the pipeline folder ``model`` to ``out``.

    Made with peft, as a training script would, and saved by the pipeline's own LoRA saver,
    so it loads through ``load_lora_weights`` like a published few-step LoRA.
    """
    from diffusers import DiffusionPipeline
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    _seed(seed)
    pipe = DiffusionPipeline.from_pretrained(str(model))
    config = LoraConfig(
        r=4,
        lora_alpha=4,
        target_modules=["to_q", "to_k", "to_v", "to_out.0"],
        init_lora_weights=False,  # random both sides, so the adapter visibly changes the output
    )
    pipe.transformer.add_adapter(config)
    layers = get_peft_model_state_dict(pipe.transformer)
    type(pipe).save_lora_weights(out.parent, transformer_lora_layers=layers, weight_name=out.name)
    return out


def build_random_wan_lora(
    transformer_config: Mapping[str, Any],
    out: Path,
    *,
    rank: int = 32,
    seed: int = 0,
    dtype: str = "float32",
) -> Path:
    """Write a random LoRA for a Wan transformer of ``transformer_config`` to ``out``.

    The layout ``build_tiny_lora`` writes (rank ``rank`` on each block's self- and
    cross-attention q, k, v and out projections, diffusers' key names), but made from the config
    alone, so a LoRA the size of a published 14B one needs no 14B model in memory. ``dtype`` is
    the stored weights' torch dtype name, e.g. "bfloat16".
    """
    import torch
    from safetensors.torch import save_file

    generator = torch.Generator().manual_seed(seed)
    dim = transformer_config["num_attention_heads"] * transformer_config["attention_head_dim"]
    weights: dict[str, torch.Tensor] = {}
    for block in range(transformer_config["num_layers"]):
        for attention in ("attn1", "attn2"):
            for projection in ("to_q", "to_k", "to_v", "to_out.0"):  # each is dim -> dim
                name = f"transformer.blocks.{block}.{attention}.{projection}"
                # Scaled so the adapter adds about a tenth of the layer's own output.
                down = torch.randn(rank, dim, generator=generator) / dim**0.5  # (r, dim)
                up = torch.randn(dim, rank, generator=generator) * 0.1 / rank**0.5  # (dim, r)
                weights[f"{name}.lora_A.weight"] = down.to(getattr(torch, dtype))
                weights[f"{name}.lora_B.weight"] = up.to(getattr(torch, dtype))
    save_file(weights, str(out), metadata={"format": "pt"})
    return out
