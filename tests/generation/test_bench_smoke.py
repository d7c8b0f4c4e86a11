"""bench/diffusers_step_speed.py --smoke: the GPU benchmark's code on the CPU, with a tiny Wan."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from safetensors import safe_open

from generation.testing import build_random_wan_lora, build_tiny_lora

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "diffusers_step_speed.py"


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    """The script as a module (bench/ is not a package); registered so its dataclass resolves."""
    spec = importlib.util.spec_from_file_location("diffusers_step_speed", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_the_smoke_run_prints_every_row_and_writes_them_as_json(bench, tmp_path, capsys):
    """Plain, project (and its preview share), Fast, Fast vs reference: printed and saved."""
    results = tmp_path / "results" / "speed.jsonl"  # a folder the run makes
    code = bench.main(["--smoke", "--steps", "3", "--lora-rank", "4", "--json", str(results)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    assert len(lines) == 4
    plain, project, fast, versus = lines
    assert "tiny 64x64x9  plain diffusers, 3 steps, guidance 5" in plain
    assert "project engine, 3 steps, guidance 5" in project
    assert "preview" in project and "of a step" in project
    assert "Fast preset, LoRA rank 4, 4 steps, guidance 1" in fast
    assert all(" floor " in line and " s/step " in line for line in (plain, project, fast))
    assert "Fast vs plain 50 steps" in versus
    assert "estimated: the 3-step run's" in versus and "target >= 10" in versus

    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert [row["run"] for row in rows] == [
        "plain diffusers",
        "project engine",
        "project engine, Fast preset, LoRA rank 4",
        "fast vs reference",
    ]
    for row in rows[:3]:
        assert row["model"] == "tiny"
        assert row["s_per_step"] > 0 and row["end_to_end_s"] > 0
        assert row["ratio_to_floor"] == row["s_per_step"] / row["floor_s_per_step"]
    assert (rows[2]["steps"], rows[2]["guidance"]) == (4, 1.0)  # the Fast preset's defaults
    assert rows[1]["preview_share"] > 0
    # One pass a step without guidance, two with it.
    assert rows[2]["floor_s_per_step"] * 2 == pytest.approx(rows[0]["floor_s_per_step"])
    versus_row = rows[3]
    assert versus_row["fast_s"] == rows[2]["end_to_end_s"]
    assert versus_row["reference_s"] == pytest.approx(
        rows[0]["end_to_end_s"] + 47 * rows[0]["s_per_step"]
    )
    assert versus_row["speedup"] == versus_row["reference_s"] / versus_row["fast_s"]
    assert versus_row["target"] == 10.0


def test_run_reference_runs_the_reference_steps_and_says_so(bench, tmp_path, capsys):
    """--run-reference times a real call of --reference-steps instead of estimating it."""
    results = tmp_path / "speed.jsonl"
    argv = ["--smoke", "--steps", "2", "--reference-steps", "6", "--run-reference"]
    assert bench.main([*argv, "--lora-rank", "4", "--json", str(results)]) == 0
    versus = capsys.readouterr().out.strip().splitlines()[-1]
    assert "Fast vs plain 6 steps" in versus and "(run)" in versus
    row = json.loads(results.read_text().splitlines()[-1])
    assert (row["reference_steps"], row["reference_how"]) == (6, "run")


def test_without_smoke_and_without_cuda_it_says_so_and_exits_2(bench, capsys, monkeypatch):
    """The real-size run needs a GPU: one line, status 2, nothing measured."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert bench.main(["--model", "1.3b"]) == 2
    assert capsys.readouterr().out.count("\n") == 1


def test_a_random_lora_from_a_config_has_the_layout_peft_writes(tiny_model, tmp_path):
    """build_random_wan_lora's keys and shapes are build_tiny_lora's for the same transformer."""
    folder = tiny_model("wan21-t2v")
    config = json.loads((folder / "transformer" / "config.json").read_text())
    made = build_tiny_lora(folder, tmp_path / "peft.safetensors")
    random = build_random_wan_lora(config, tmp_path / "random.safetensors", rank=4)
    with safe_open(str(made), "pt") as expected, safe_open(str(random), "pt") as ours:
        keys = sorted(expected.keys())
        assert sorted(ours.keys()) == keys
        for key in keys:
            assert ours.get_slice(key).get_shape() == expected.get_slice(key).get_shape()


def test_the_family_smoke_run_times_the_plain_step_against_its_floor(bench, tmp_path, capsys):
    """--family runs a newer family's real layout (two layers here) inside the project's engine."""
    results = tmp_path / "families.jsonl"
    argv = ["--smoke", "--family", "kandinsky5-lite", "--steps", "2", "--json", str(results)]
    assert bench.main(argv) == 0
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert [row["run"] for row in rows] == ["plain"]  # Kandinsky 5 supports no cache here
    assert rows[0]["model"] == "kandinsky5-lite" and rows[0]["s_per_step"] > 0
    assert rows[0]["floor_s_per_step"] > 0 and rows[0]["speedup_per_step"] == 1.0
    assert "kandinsky5-lite 64x64x9 (48 tokens)  plain" in capsys.readouterr().out


def test_a_family_run_without_cuda_says_so_and_exits_2(bench, capsys, monkeypatch):
    """Without --smoke a family run is GPU-only: one line, exit status 2."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert bench.main(["--family", "ltx-2"]) == 2
    assert "no CUDA GPU here" in capsys.readouterr().out
