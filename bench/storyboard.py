"""Benchmark of the storyboard pipeline: a 6-scene, about 45-second video at 1280x720.

    .venv/bin/python bench/storyboard.py [--no-engine] [--workers 2]

One title card, three text cards and two scenes from the embedded text-to-video engine (text
cards only with --no-engine), the corporate music bed, captions as files. Prints the video's
length, the time spent in voices, in scene footage and in assembly, the assembly as a ratio to
the video's length (target <= 0.25x, ffmpeg on one thread), and the scene footage made by a pool
of one worker process against a pool of ``--workers``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generation.pipelines import storyboard
from generation.storyboard.board import Storyboard, all_scenes

ASSEMBLIES = 3

SCRIPT = """# Rosa's Bakery, spring edition

Our small bakery opens every morning at seven in the old town, and the first loaves leave the
oven before the street is awake. Regulars know to come early for the rye.

Every croissant is folded by hand, three times, with butter from a farm twenty minutes away.
It takes two days, and you can taste every hour of it.

A red ball bounces on green grass in the park across the road, where our customers take their
coffee on sunny days.

This spring we add a honey rye, cardamom buns on Fridays, and coffee from a roaster down the
street. Each one was tested by our regulars first, and they were not shy with their notes.

A yellow star spins slowly in the night sky. Come by this week, say the word spring at the
counter, and your first coffee is on us. See you soon.
"""


def build(engine: bool) -> Storyboard:
    board = storyboard.from_text(SCRIPT, music="corporate", captions="file", seed=7)
    scenes = list(board.scenes)
    transitions = ["cut", "crossfade", "slide", "crossfade", "fade-black", "crossfade"]
    for index, scene in enumerate(scenes):
        visual = "text-to-video" if engine and index in (3, 5) else "text-card"
        prompt = scene.voiceover.split(".")[0] if visual == "text-to-video" else scene.prompt
        scenes[index] = dataclasses.replace(
            scene,
            visual=visual,  # type: ignore[arg-type]
            engine="embedded" if visual == "text-to-video" else None,
            prompt=prompt,
            transition=transitions[index],  # type: ignore[arg-type]
        )
    return dataclasses.replace(board, scenes=tuple(scenes))


def _footage(job: tuple[Storyboard, int, int, str]) -> tuple[int, float]:
    import torch

    torch.set_num_threads(1)
    board, index, frames, folder = job
    started = time.monotonic()
    scene = all_scenes(board)[index]
    storyboard.scene_footage(scene, board=board, aspect="16:9", frames=frames, out_dir=Path(folder))
    return index, time.monotonic() - started


def pooled(board: Storyboard, frames: list[int], workers: int) -> tuple[float, list[Path]]:
    """Make every scene's footage in a pool of ``workers`` processes; wall time and paths."""
    folder = tempfile.mkdtemp(prefix=f"bench-storyboard-{workers}-")
    jobs = [(board, i, n, folder) for i, n in enumerate(frames)]
    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_footage, jobs))
    wall = time.monotonic() - started
    scenes = all_scenes(board)
    paths = [
        Path(folder) / f"{storyboard.footage_key(s, board=board, aspect='16:9', frames=n)[:24]}.mp4"
        for s, n in zip(scenes, frames, strict=True)
    ]
    return wall, paths


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished children (ffmpeg)."""
    mine, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-engine", action="store_true", help="text cards only")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    os.environ.setdefault("REELSMITH_TORCH_THREADS", "1")
    board = build(engine=not args.no_engine)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-storyboard-") as tmp:
        work = Path(tmp)
        voice_started = time.monotonic()
        voices = storyboard.make_voices(board, work)
        voice_s = time.monotonic() - voice_started
        plan = storyboard.plan_timeline(board, voices)
        frames = [t.frames for t in plan.scenes]
        one_s, footage = pooled(board, frames, 1)
        many_s, _ = pooled(board, frames, args.workers)
        # The assembly three times from scratch (its own folder each, so no sound is reused):
        # the median, since one run on a shared machine can be 15 % off either way.
        walls, cpus = [], []
        for attempt in range(ASSEMBLIES):
            folder = work / f"assembly-{attempt}"
            folder.mkdir()
            assembly_started, cpu_before = time.monotonic(), _cpu_seconds()
            made = storyboard.assemble(
                board, footage, folder / "bench.mp4", "16:9", voices=voices, work=folder, threads=1
            )
            walls.append(time.monotonic() - assembly_started)
            cpus.append(_cpu_seconds() - cpu_before)
        assembly_s, assembly_cpu = statistics.median(walls), statistics.median(cpus)
    # One worker's footage counts, not both pools', and one assembly, not three.
    total = time.monotonic() - started - many_s - sum(walls) + assembly_s
    visuals = [s.visual for s in all_scenes(board)]
    print(f"storyboard: {len(visuals)} scenes ({', '.join(visuals)}), 1280x720, 25 fps")
    print(f"video length             {made.duration:7.2f} s")
    print(f"total (one worker)       {total:7.2f} s   {total / made.duration:5.2f}x the video")
    print(f"  voices (TTS)           {voice_s:7.2f} s")
    print(f"  scene footage          {one_s:7.2f} s   {one_s / made.duration:5.2f}x")
    print(
        f"  assembly (1 thread)    {assembly_s:7.2f} s   {assembly_s / made.duration:5.2f}x"
        f"   (target <= 0.25x; median of {ASSEMBLIES}: "
        + ", ".join(f"{w:.2f}" for w in walls)
        + " s)"
    )
    print(
        f"scene footage, pool of 1 vs {args.workers}: {one_s:.2f} s vs {many_s:.2f} s"
        f" = {one_s / many_s:.2f}x speed-up (on {os.cpu_count()} cores)"
    )
    print(
        f"  assembly CPU time      {assembly_cpu:7.2f} s   {assembly_cpu / made.duration:5.2f}x"
        "   (this process and its ffmpeg runs: one core's worth, whatever else runs)"
    )
    print(f"loudness before normalisation {made.loudness_lufs:.1f} LUFS")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
