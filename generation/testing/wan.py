"""Tiny Wan pipelines (2.1 text- and image-to-video, 2.2 TI2V-5B and A14B, SkyReels-V2 diffusion
forcing) and LoRAs for them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from generation.testing.common import (
    _flow_match,
    _seed,
    _tiny_umt5,
    _tiny_wan_transformer,
    _tiny_wan_vae,
    tiny_tokenizer,
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


def build_tiny_skyreels_v2_df(path: Path, seed: int = 0) -> Path:
    """A tiny SkyReels-V2 diffusion-forcing pipeline: Wan 2.1's VAE and a 2-layer transformer."""
    from diffusers import (
        SkyReelsV2DiffusionForcingPipeline,
        SkyReelsV2Transformer3DModel,
        UniPCMultistepScheduler,
    )

    _seed(seed)
    tokenizer = tiny_tokenizer()
    transformer = SkyReelsV2Transformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=16,
        out_channels=16,
        text_dim=32,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
    )
    pipe = SkyReelsV2DiffusionForcingPipeline(
        tokenizer=tokenizer,
        text_encoder=_tiny_umt5(len(tokenizer)),
        transformer=transformer,
        vae=_tiny_wan_vae(),
        # UniPC on flow sigmas, as the published SkyReels-V2 folders are configured
        scheduler=UniPCMultistepScheduler(
            prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=8.0
        ),
    )
    pipe.save_pretrained(path, safe_serialization=True)
    return path
