"""Fixtures shared by every test: users, workspaces, images, and torch kept to one thread."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image


@pytest.fixture(autouse=True, scope="session")
def _media_of_their_own(tmp_path_factory: Any) -> Iterator[None]:
    """Tests, and the servers and workers they start, store files in a folder of their own:
    never in the developer's media folder, which the leftovers sweep would judge by the test
    database and empty."""
    from django.test import override_settings

    with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))):
        yield


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread() -> None:
    # Two threads fighting over two cores ran many times slower than one on the CI machine.
    import torch

    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _fresh_cache(request: pytest.FixtureRequest) -> None:
    # Rate-limit counts and cached voices live in Redis, past the test that made them; user
    # ids repeat from one test to the next, so each test that touches the studio starts clean.
    if request.node.get_closest_marker("django_db") or "django_db_setup" in request.fixturenames:
        from django.core.cache import cache

        cache.delete_pattern("*")  # type: ignore[attr-defined]  # django-redis: our prefix only


def make_png(
    width: int = 320, height: int = 240, color: tuple[int, int, int] = (200, 60, 40)
) -> bytes:
    """A small PNG with a pattern, so motion over it is visible."""
    image = Image.new("RGB", (width, height), color)
    for x in range(0, width, 40):
        for y in range(0, height, 40):
            if (x // 40 + y // 40) % 2:
                image.paste((240, 220, 80), (x, y, x + 20, y + 20))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def make_wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A 440 Hz tone as a 16-bit mono WAV (a low ``rate`` keeps a long one small)."""
    import wave

    import numpy as np

    samples = np.sin(2 * np.pi * 440 * np.arange(int(rate * seconds)) / rate) * 8000
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()


@pytest.fixture
def png_bytes() -> bytes:
    return make_png()


@pytest.fixture
def user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="maya", password="a-long-passphrase")


@pytest.fixture
def other_user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="otto", password="a-long-passphrase")


@pytest.fixture
def workspace(user: Any) -> Any:
    from studio import services

    return services.workspaces.workspace_ensure_personal(user=user)


@pytest.fixture
def member_client(client: Any, user: Any, workspace: Any) -> Any:
    client.force_login(user)
    return client


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Browser tests last: they are the slowest, and the quick ones should fail first."""
    items.sort(key=lambda item: "tests/e2e/" in str(item.fspath))


@pytest.fixture(scope="session")
def live_server_url(django_db_setup: Any) -> Iterator[str]:
    """A real Daphne serving the studio on the test database."""
    from tests import live

    port = live.free_port()
    server = live.start_server(port)
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def worker(django_db_setup: Any) -> Iterator[Any]:
    """A real Celery worker (-P solo), on an empty broker."""
    from tests import live

    live.flush_broker()
    process = live.start_worker()
    yield process
    process.stop()
