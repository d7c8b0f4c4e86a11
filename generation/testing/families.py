"""Tiny pipelines of the other families: LTX-Video, LTX-2, CogVideoX, Kandinsky 5 and
HunyuanVideo 1.5."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generation.testing.common import (
    QWEN_CHAT_TEMPLATE,
    _flow_match,
    _seed,
    _tiny_qwen25_vl,
    _tiny_t5,
    tiny_tokenizer,
)


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
