from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests import live


@pytest.fixture(scope="session")
def live_server_url(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    """A real Daphne serving the studio on the test database."""
    port = live.free_port()
    server = live.start_server(port)
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def worker(django_db_setup: Any) -> Iterator[live.Process]:
    """A real Celery worker (-P solo), on an empty broker."""
    live.flush_broker()
    process = live.start_worker()
    yield process
    process.stop()
