"""The simulated users of bench/load.py, as a locustfile: members browsing their workspace's
dashboard, gallery, job pages and prompt editor, and one submitter posting the editor's form at a
steady rate. It knows nothing of Django: bench/load.py writes the plan (server, sessions,
workspaces) to the JSON file named by LOAD_PLAN and reads locust's figures back.

Run it through bench/load.py, which starts the stack it needs.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from pathlib import Path

import gevent
from locust import HttpUser, between, constant_pacing, events, task

PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text())
JOB_LINK = re.compile(r'href="(/w/\d+/jobs/\d+/)"')
# The editor's form for a small, quick job on the embedded engine (the model a fresh install has).
JOB_FORM = {
    "mode": "text-to-video",
    "engine": "embedded",
    "aspect": "1:1",
    "size": "small",
    "num_frames": "16",
    "fps": "8",
    "steps": "8",
    "guidance": "5",
}
PROMPTS = [
    "a red ball bounces on a wooden table",
    "a blue cube slides across a white floor",
    "a yellow star spins in the night sky",
    "a green triangle rises over the sea",
    "two orange circles orbit each other",
]
_members = itertools.count()
# Every request's (name, milliseconds, failed, when it ended): locust's own percentiles are
# rounded.
_times: list[tuple[str, float, bool, float]] = []


@events.request.add_listener
def _record(name: str, response_time: float, exception: object, **_: object) -> None:
    _times.append((name, response_time, exception is not None, time.time()))


@events.quitting.add_listener
def _write_times(**_: object) -> None:
    Path(os.environ["LOAD_TIMES"]).write_text(json.dumps(_times))


class Member(HttpUser):
    """A signed-in member who clicks around their workspace every few seconds."""

    wait_time = between(2, 5)  # seconds of reading between clicks
    weight = 100

    def on_start(self) -> None:
        member = PLAN["members"][next(_members) % len(PLAN["members"])]
        self.client.cookies.set("sessionid", member["session"])
        self.workspace = member["workspace"]
        self.jobs: list[str] = []
        # Locust starts a second's worth of users in the same instant, and each would ask for
        # its first page at once: twenty requests in the same millisecond, five seconds in a
        # row, which no team browsing does. Each member arrives somewhere in its first
        # reading time instead, as the members of a team already at work do.
        gevent.sleep(random.uniform(0, self.wait_time()))

    @task(3)
    def gallery(self) -> None:
        response = self.client.get(f"/w/{self.workspace}/gallery/", name="gallery")
        if response.ok:
            self.jobs = JOB_LINK.findall(response.text) or self.jobs

    @task(3)
    def job_page(self) -> None:
        if self.jobs:
            self.client.get(random.choice(self.jobs), name="job page")
        else:
            self.gallery()

    @task(2)
    def dashboard(self) -> None:
        self.client.get(f"/w/{self.workspace}/", name="dashboard")

    @task(2)
    def editor(self) -> None:
        self.client.get(f"/w/{self.workspace}/new/", name="editor")


class Submitter(HttpUser):
    """Posts the prompt editor's form, in each workspace in turn, at PLAN["jobs_per_minute"]."""

    fixed_count = 1
    wait_time = constant_pacing(60 / PLAN["jobs_per_minute"])

    def on_start(self) -> None:
        self.client.cookies.set("sessionid", PLAN["submitter"]["session"])
        self.workspaces = itertools.cycle(PLAN["submitter"]["workspaces"])
        self.seed = itertools.count(1)

    @task
    def submit(self) -> None:
        workspace = next(self.workspaces)
        self.client.get(f"/w/{workspace}/new/", name="editor (submitter)")
        data = {
            **JOB_FORM,
            "prompt": random.choice(PROMPTS),
            "seed": str(next(self.seed)),
            "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
        }
        with self.client.post(
            f"/w/{workspace}/new/",
            data=data,
            headers={"Referer": f"{self.host}/w/{workspace}/new/"},
            allow_redirects=False,
            name="submit a job",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"the editor answered {response.status_code}, not a redirect")
