"""Shared pieces of the tiny pipelines: the word-level tokenizer, tiny text encoders, the Wan VAE
and transformer, seeding."""

from __future__ import annotations

from typing import Any

TINY_WORDS = (
    "a an the of on in at and with red green blue yellow white black ball cat dog car bird "
    "bounces runs flies rolls jumps over under grass sky sea beach city street night day slow "
    "fast zoom pan left right up down camera sunset"
)


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
