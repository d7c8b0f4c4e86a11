"""Helpers for tests that talk to the live stack."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import websockets
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from studio.models import Job
from tests.conftest import make_png


class SocketRecorder:
    """Records every message of a real WebSocket, in a thread with its own event loop."""

    def __init__(self, url: str, cookie: str, origin: str) -> None:
        self.url, self.cookie, self.origin = url, cookie, origin
        self.messages: list[dict[str, Any]] = []
        self.connected = threading.Event()
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def __enter__(self) -> SocketRecorder:
        self._thread.start()
        if not self.connected.wait(20):
            raise TimeoutError(f"WebSocket did not connect: {self.error!r}")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    async def _run(self) -> None:
        headers = {"Cookie": self.cookie, "Origin": self.origin}
        try:
            async with websockets.connect(self.url, additional_headers=headers) as ws:
                self.connected.set()
                while not self._stop.is_set():
                    try:
                        raw = await asyncio.wait_for(ws.recv(), timeout=0.2)
                    except TimeoutError:
                        continue
                    self.messages.append({"_at": time.monotonic(), **json.loads(raw)})
        except BaseException as exc:
            self.error = exc
            self.connected.set()

    def wait_for(self, predicate: Any, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            for message in self.messages[seen:]:
                if predicate(message):
                    return message
            seen = len(self.messages)
            time.sleep(0.05)
        last = [
            (m.get("type"), m.get("job"), m.get("status"), m.get("stage"))
            for m in self.messages[-5:]
        ]
        raise TimeoutError(f"no such message among {len(self.messages)}; the last: {last}")


def session_cookie(client: Client) -> str:
    return f"sessionid={client.cookies['sessionid'].value}"


def submit_camera_job(client: Client, workspace_id: int, **overrides: str) -> Job:
    """Post the prompt editor's form, as the page does, and return the stored job."""
    data: dict[str, Any] = {
        "mode": "image-to-video",
        "prompt": "slow zoom in on the product",
        "engine": "camera-motion",
        "motion": "auto",
        "aspect": "1:1",
        "size": "small",
        "num_frames": "16",
        "fps": "8",
        "steps": "1",
        "guidance": "0",
        "seed": "3",
        "image": SimpleUploadedFile("product.png", make_png(640, 480), content_type="image/png"),
    }
    data.update(overrides)
    response = client.post(reverse("job_new", args=[workspace_id]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Job.objects.latest("id")


def wait_for_job(job_id: int, predicate: Any, timeout: float = 120) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        if predicate(job):
            return job
        time.sleep(0.1)
    raise TimeoutError(f"job {job_id} is {Job.objects.get(pk=job_id).status}")
