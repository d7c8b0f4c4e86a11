"""Reading what the broker holds, on a real Redis."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from django.conf import settings as django_settings

from generation.engines import EngineSettings
from studio import queueing


@pytest.fixture
def empty_broker() -> Any:
    client = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.mark.django_db
def test_it_finds_messages_on_a_queue_the_operator_named(empty_broker: Any, settings: Any):
    """REELSMITH_MODELS can put an engine on any queue; its waiting messages are seen there."""
    settings.ENGINE_SETTINGS = EngineSettings(
        model_paths={"wan-big": "/models/wan"}, queues={"wan-big": "gpu-h100"}
    )
    sent = queueing.send_task(queueing.RUN_JOB, args=(1,), queue="gpu-h100", retry=False)
    assert sent.id in (queueing.broker_task_ids() or set())
