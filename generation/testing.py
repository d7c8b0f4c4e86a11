"""Test helpers: a tiny, randomly initialised Wan 2.1 pipeline saved as a diffusers folder.

The components follow diffusers' own Wan tests (2 transformer layers, a 3-channel-base VAE, a
2-layer UMT5 encoder), and the tokenizer is a word-level one built in code, so no hub access is
needed. The folder loads through the project's loader like a real model, in well under a second,
and makes 16x16 clips of noise-like colour on a CPU in a fraction of a second.
"""

from __future__ import annotations

from pathlib import Path

TINY_WORDS = (
    "a an the of on in at and with red green blue yellow white black ball cat dog car bird "
    "bounces runs flies rolls jumps over under grass sky sea beach city street night day slow "
    "fast zoom pan left right up down camera sunset"
)


def build_tiny_wan(path: Path, seed: int = 0) -> Path:
    """Write a tiny random WanPipeline to ``path`` (with ``model_index.json``); returns ``path``."""
    import torch
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanPipeline,
        WanTransformer3DModel,
    )
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, UMT5Config, UMT5EncoderModel

    torch.manual_seed(seed)
    pad, end, unknown = "<pad>", "</s>", "<unk>"  # T5's special tokens, ids 0, 1 and 2
    vocab = {word: index for index, word in enumerate([pad, end, unknown, *TINY_WORDS.split()])}
    word_level = Tokenizer(models.WordLevel(vocab=vocab, unk_token=unknown))
    word_level.normalizer = normalizers.Lowercase()
    word_level.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=word_level, pad_token=pad, eos_token=end, unk_token=unknown
    )
    text_encoder = UMT5EncoderModel(
        UMT5Config(
            vocab_size=len(vocab),
            d_model=32,  # = the transformer's text_dim
            d_kv=8,
            d_ff=37,
            num_layers=2,
            num_heads=4,
            relative_attention_num_buckets=8,
            pad_token_id=0,
            eos_token_id=1,
            decoder_start_token_id=0,
        )
    )
    vae = AutoencoderKLWan(
        base_dim=3,
        z_dim=16,  # Wan 2.1's 16 latent channels, so the preview's projection applies
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
    )
    transformer = WanTransformer3DModel(
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
    pipe = WanPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        transformer=transformer,
    )
    pipe.save_pretrained(path, safe_serialization=True)
    return path
