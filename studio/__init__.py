"""The Reelsmith studio: the Django project and its web app."""

from __future__ import annotations

from studio.celery import app as celery_app

__all__ = ["celery_app"]
