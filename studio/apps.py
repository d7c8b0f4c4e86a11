from __future__ import annotations

from django.apps import AppConfig


class StudioConfig(AppConfig):
    name = "studio"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from studio import signals  # noqa: F401  (connects the receivers)
        from studio.api import schema  # noqa: F401  (describes the token scheme to the schema)
