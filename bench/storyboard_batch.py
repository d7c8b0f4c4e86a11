"""A CSV batch of a storyboard template: six scenes, one of them personal, 100 rows.

The template: a title card, three text cards and two scenes from the embedded text-to-video
engine, one of which names the row's company in its prompt and greets the row's name in its
voiceover. Launched on the live stack (one real worker, its own database) through the batch
page as a user launches it. Prints the scene renders made against rows x scenes, the wall
time from launch to every row's video, the time per row, and where a row's time goes (its
scene job and its assembly, as run on the worker).

Run: .venv/bin/python bench/storyboard_batch.py [--rows 100] [--short-side 240]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import _stack  # sets up Django on a throwaway database
from django.conf import settings
from django.urls import reverse

from studio import selectors, services
from studio.models import Batch, Job, Storyboard
from studio.services.storyboards import SceneEdit

SCRIPT = """# Rosa's Bakery, spring edition

Our small bakery opens every morning at seven in the old town.

Every croissant is folded by hand, three times, with butter from a farm nearby.

A red ball bounces on green grass in the park across the road.

This spring we add a honey rye and cardamom buns on Fridays.

A yellow star spins slowly in the night sky. See you soon.
"""
PERSONAL = 4  # the scene (0-based) that holds the placeholders
ENGINE_SCENES = {3: "a red ball bouncing on green grass", PERSONAL: "a shop sign for {company}"}


def _storyboard(workspace: Any, user: Any) -> Storyboard:
    board = services.storyboards.storyboard_create_from_text(
        workspace=workspace, user=user, text=SCRIPT
    )
    scenes = selectors.storyboard_scenes(storyboard=board)
    assert len(scenes) == 6, len(scenes)
    for index, prompt in ENGINE_SCENES.items():
        scene = scenes[index]
        voiceover = (
            "Hello {first_name}, this spring is for {company}." if index == PERSONAL else None
        )
        services.storyboards.storyboard_scene_update(
            scene=scene,
            edit=SceneEdit(
                visual="text-to-video",
                voiceover=voiceover or scene.voiceover,
                on_screen_text=scene.on_screen_text,
                prompt=prompt,
                transition=scene.transition,
                engine="embedded",
            ),
        )
    return board


def _run_seconds(jobs: list[Job]) -> list[float]:
    return [s for s in (job.run_seconds for job in jobs) if s is not None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--short-side", type=int, default=240, help="pixels of the videos")
    args = parser.parse_args()
    settings.STORYBOARD_SHORT_SIDE = args.short_side
    with _stack.stack() as (_url, client, workspace):
        user = workspace.memberships.get().user
        workspace.max_active_jobs = 10 * args.rows + 100  # the cap is not what is measured
        workspace.batch_row_limit = max(workspace.batch_row_limit, args.rows)
        workspace.save()
        template = services.storyboard_batches.storyboard_template_create(
            storyboard=_storyboard(workspace, user), user=user, name="Spring offer"
        )
        rows = "".join(f"Name{n},Company {n}\n" for n in range(args.rows))
        response = client.post(
            reverse("batch_new", args=[workspace.pk]),
            {"template": template.pk, "csv_text": "first_name,company\n" + rows},
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        batch = Batch.objects.get(template=template)
        plan = services.storyboard_batches.storyboard_batch_plan(batch=batch)

        started = time.monotonic()
        launched = client.post(reverse("batch_launch", args=[workspace.pk, batch.pk]))
        assert launched.status_code == 302
        launch_s = time.monotonic() - started
        while True:
            states = list(selectors.batch_render_states(batch=batch).values())
            if all(s["status"] in ("succeeded", "failed", "cancelled") for s in states):
                break
            time.sleep(1.0)
        wall = time.monotonic() - started
        failed = [s for s in states if s["status"] != "succeeded"]
        scene_jobs = list(Job.objects.filter(workspace=workspace, mode=Job.Mode.STORYBOARD_SCENE))
        assemblies = list(Job.objects.filter(workspace=workspace, mode=Job.Mode.STORYBOARD))

    scene_s, assembly_s = _run_seconds(scene_jobs), _run_seconds(assemblies)
    print(
        f"storyboard batch: {plan.rows} rows x {plan.scenes} scenes "
        f"({len(ENGINE_SCENES)} from the engine, 1 personal), {args.short_side}p, one worker"
    )
    print(
        f"scene renders made        {len(scene_jobs):5d}   against rows x scenes = {plan.naive}"
        f" (planned {plan.renders}: {plan.shared} shared + {plan.renders - plan.shared} per row)"
    )
    print(f"videos made               {len(assemblies):5d}   failed rows: {len(failed)}")
    print(f"launch (request)          {launch_s:7.2f} s")
    print(f"launch -> every video     {wall:7.2f} s")
    print(f"time per row              {wall / plan.rows:7.2f} s")
    if scene_s:
        print(
            f"  a scene job             {statistics.median(scene_s):7.2f} s median "
            f"({sum(scene_s):.1f} s in all)"
        )
    if assembly_s:
        print(
            f"  an assembly             {statistics.median(assembly_s):7.2f} s median "
            f"({sum(assembly_s):.1f} s in all)"
        )


if __name__ == "__main__":
    main()
