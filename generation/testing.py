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


def build_tiny_kandinsky5(path: Path, mode: str = "text-to-video", seed: int = 0) -> Path:
    """A tiny Kandinsky 5 pipeline (text- or image-to-video), as in diffusers' Kandinsky 5 tests.

    A 4-channel HunyuanVideo VAE (8x in space, 4x in time), a 2-layer Qwen2.5-VL text encoder
    and a 2-layer CLIP text encoder, both reading the word-level tokenizer; image-to-video is the
    same transformer with ``visual_cond`` (the image's latents and a mask beside the noise).
    """
    from diffusers import (
        AutoencoderKLHunyuanVideo,
        Kandinsky5I2VPipeline,
        Kandinsky5T2VPipeline,
        Kandinsky5Transformer3DModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel

    _seed(seed)
    tokenizer = tiny_tokenizer()
    image = mode == "image-to-video"
    vae = AutoencoderKLHunyuanVideo(
        in_channels=3,
        out_channels=3,
        spatial_compression_ratio=8,
        temporal_compression_ratio=4,
        latent_channels=4,
        block_out_channels=(8, 8, 8, 8),
        layers_per_block=1,
        norm_num_groups=4,
    )
    clip = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=0,
            hidden_size=32,  # = the transformer's in_text_dim2
            intermediate_size=37,
            num_attention_heads=4,
            num_hidden_layers=2,
            vocab_size=len(tokenizer),
            projection_dim=32,
        )
    )
    transformer = Kandinsky5Transformer3DModel(
        in_visual_dim=4,
        in_text_dim=16,  # = the Qwen2.5-VL hidden size
        in_text_dim2=32,
        time_dim=32,
        out_visual_dim=4,
        patch_size=(1, 2, 2),
        model_dim=48,
        ff_dim=128,
        num_text_blocks=1,
        num_visual_blocks=2,
        axes_dims=(8, 8, 8),
        visual_cond=image,
    )
    pipeline_class: Any = Kandinsky5I2VPipeline if image else Kandinsky5T2VPipeline
    pipe = pipeline_class(
        transformer=transformer,
        vae=vae,
        scheduler=_flow_match(shift=5.0),
        text_encoder=_tiny_qwen25_vl(len(tokenizer)),
        tokenizer=tokenizer,
        text_encoder_2=clip,
        tokenizer_2=tokenizer,
    )
    pipe.save_pretrained(path, safe_serialization=True)
    return path


def build_tiny_ltx2(path: Path, seed: int = 0) -> Path:
    """A tiny LTX-2 pipeline (picture and sound; one checkpoint for both modes).

    As in diffusers' LTX-2 tests: a 4-channel video VAE (2x in space and time), a 2-channel
    audio VAE over 8 mel bins at 16 kHz, a stereo 24 kHz vocoder, text connectors and a 2-layer
    Gemma 3 text encoder (with a tiny SigLIP tower, which Gemma 3's class requires) built in code.
    """
    from diffusers import (
        AutoencoderKLLTX2Audio,
        AutoencoderKLLTX2Video,
        LTX2Pipeline,
        LTX2VideoTransformer3DModel,
    )
    from diffusers.pipelines.ltx2 import LTX2TextConnectors
    from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder
    from transformers import (
        Gemma3Config,
        Gemma3ForConditionalGeneration,
        Gemma3TextConfig,
        SiglipVisionConfig,
    )

    _seed(seed)
    tokenizer = tiny_tokenizer()
    text_config = Gemma3TextConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,  # = the connectors' width (heads x head dim)
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=8,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=None,
    )
    vision_config = SiglipVisionConfig(
        hidden_size=8,
        intermediate_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        image_size=16,
        patch_size=4,
    )
    text_encoder = Gemma3ForConditionalGeneration(
        Gemma3Config(text_config=text_config, vision_config=vision_config, mm_tokens_per_image=4)
    )
    transformer = LTX2VideoTransformer3DModel(
        in_channels=4,
        out_channels=4,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=2,
        attention_head_dim=8,
        cross_attention_dim=16,
        audio_in_channels=4,
        audio_out_channels=4,
        audio_num_attention_heads=2,
        audio_attention_head_dim=4,
        audio_cross_attention_dim=8,
        num_layers=2,
        qk_norm="rms_norm_across_heads",
        caption_channels=32,  # = the text encoder's hidden size
        rope_double_precision=False,
        rope_type="split",
    )
    connectors = LTX2TextConnectors(
        caption_channels=32,
        text_proj_in_factor=3,  # the text encoder's layers + 1 hidden states are stacked
        video_connector_num_attention_heads=4,
        video_connector_attention_head_dim=8,
        video_connector_num_layers=1,
        video_connector_num_learnable_registers=None,
        audio_connector_num_attention_heads=4,
        audio_connector_attention_head_dim=8,
        audio_connector_num_layers=1,
        audio_connector_num_learnable_registers=None,
        connector_rope_base_seq_len=32,
        rope_theta=10000.0,
        rope_double_precision=False,
        causal_temporal_positioning=False,
        rope_type="split",
    )
    vae = AutoencoderKLLTX2Video(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        block_out_channels=(8,),
        decoder_block_out_channels=(8,),
        layers_per_block=(1,),
        decoder_layers_per_block=(1, 1),
        spatio_temporal_scaling=(True,),
        decoder_spatio_temporal_scaling=(True,),
        decoder_inject_noise=(False, False),
        downsample_type=("spatial",),
        upsample_residual=(False,),
        upsample_factor=(1,),
        timestep_conditioning=False,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    audio_vae = AutoencoderKLLTX2Audio(
        base_channels=4,
        output_channels=2,
        ch_mult=(1,),
        num_res_blocks=1,
        attn_resolutions=None,
        in_channels=2,
        resolution=32,
        latent_channels=2,
        norm_type="pixel",
        causality_axis="height",
        dropout=0.0,
        mid_block_add_attention=False,
        sample_rate=16000,
        mel_hop_length=160,
        is_causal=True,
        mel_bins=8,
    )
    vocoder = LTX2Vocoder(
        in_channels=2 * 8,  # the audio VAE's output channels x mel bins
        hidden_channels=32,
        out_channels=2,  # stereo
        # 240 samples per mel frame: 16 kHz mels with a 160-sample hop become 24 kHz sound,
        # as in the published vocoder (whose factors are 6, 5, 2, 2, 2)
        upsample_kernel_sizes=[12, 10, 16],
        upsample_factors=[6, 5, 8],
        resnet_kernel_sizes=[3],
        resnet_dilations=[[1, 3, 5]],
        leaky_relu_negative_slope=0.1,
        output_sampling_rate=24000,
    )
    pipe = LTX2Pipeline(
        scheduler=_flow_match(),
        vae=vae,
        audio_vae=audio_vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        connectors=connectors,
        transformer=transformer,
        vocoder=vocoder,
    )
    pipe.save_pretrained(path, safe_serialization=True)
    return path


def build_tiny_hunyuan15(path: Path, mode: str = "text-to-video", seed: int = 0) -> Path:
    """A tiny HunyuanVideo 1.5 pipeline (text- or image-to-video), as in diffusers' tests.

    A 4-channel VAE (4x in space, 2x in time), a 2-layer Qwen2.5-VL text model reading the
    word-level tokenizer through a chat template, a ByT5 glyph encoder and classifier-free
    guidance; image-to-video adds a tiny SigLIP image encoder and its (PIL) processor.
    """
    from diffusers import (
        AutoencoderKLHunyuanVideo15,
        HunyuanVideo15ImageToVideoPipeline,
        HunyuanVideo15Pipeline,
        HunyuanVideo15Transformer3DModel,
    )
    from diffusers.guiders import ClassifierFreeGuidance
    from transformers import ByT5Tokenizer, Qwen2_5_VLTextConfig, Qwen2_5_VLTextModel

    _seed(seed)
    tokenizer = tiny_tokenizer()
    tokenizer.chat_template = QWEN_CHAT_TEMPLATE
    byt5 = ByT5Tokenizer()
    image = mode == "image-to-video"
    transformer = HunyuanVideo15Transformer3DModel(
        in_channels=9,  # noise (4) + the image's latents (4) + a mask
        out_channels=4,
        num_attention_heads=2,
        attention_head_dim=8,
        num_layers=2,
        num_refiner_layers=1,
        mlp_ratio=2.0,
        patch_size=1,
        patch_size_t=1,
        text_embed_dim=16,
        text_embed_2_dim=32,
        image_embed_dim=12,
        rope_axes_dim=(2, 2, 4),
        target_size=32,
        task_type="i2v" if image else "t2v",
    )
    vae = AutoencoderKLHunyuanVideo15(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        block_out_channels=(16, 16),
        layers_per_block=1,
        spatial_compression_ratio=4,
        temporal_compression_ratio=2,
        downsample_match_channel=False,
        upsample_match_channel=False,
    )
    text_config = Qwen2_5_VLTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        rope_scaling={"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"},
        rope_theta=1000000.0,
        bos_token_id=None,
        eos_token_id=1,
        pad_token_id=0,
    )
    common: dict[str, Any] = {
        "text_encoder": Qwen2_5_VLTextModel(text_config),
        "tokenizer": tokenizer,
        "transformer": transformer,
        "vae": vae,
        "scheduler": _flow_match(shift=7.0),
        "text_encoder_2": _tiny_t5(len(byt5)),
        "tokenizer_2": byt5,
        "guider": ClassifierFreeGuidance(guidance_scale=1.0),
    }
    if image:
        from transformers import SiglipImageProcessorPil, SiglipVisionConfig, SiglipVisionModel

        encoder = SiglipVisionModel(
            SiglipVisionConfig(
                hidden_size=12,  # = the transformer's image_embed_dim
                intermediate_size=16,
                num_hidden_layers=1,
                num_attention_heads=2,
                image_size=16,
                patch_size=4,
            )
        )
        processor = SiglipImageProcessorPil(size={"height": 16, "width": 16})
        pipe: Any = HunyuanVideo15ImageToVideoPipeline(
            **common, image_encoder=encoder, feature_extractor=processor
        )
    else:
        pipe = HunyuanVideo15Pipeline(**common)
    pipe.save_pretrained(path, safe_serialization=True)
    return path


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


# Qwen's chat layout, for the word-level tokenizer standing in for Qwen2.5-VL's.
QWEN_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}{{ part['text'] }}{% endfor %}{% endif %}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _tiny_qwen25_vl(vocab_size: int) -> Any:
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    text = {
        "vocab_size": vocab_size,
        "hidden_size": 16,
        "intermediate_size": 16,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "num_key_value_heads": 2,
        "rope_scaling": {"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"},
        "rope_theta": 1000000.0,
        "bos_token_id": None,
        "eos_token_id": 1,
        "pad_token_id": 0,
    }
    vision = {"depth": 2, "hidden_size": 16, "intermediate_size": 16, "num_heads": 2}
    config = Qwen2_5_VLConfig(
        text_config=text,
        vision_config={**vision, "out_hidden_size": 16},
        vocab_size=vocab_size,
        hidden_size=16,
    )
    return Qwen2_5_VLForConditionalGeneration(config)
