"""The REST API's tokens and idempotency keys."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models

from studio.models.workspaces import Workspace


class ApiToken(models.Model):
    """A workspace's key to the REST API. It acts as the member who made it, in its workspace
    only, with that member's role; only a hash of it is kept, and its first characters, shown
    in the list so an owner can tell tokens apart (and used to find it)."""

    class Scope(models.TextChoices):
        READ = "read", "Read: list and fetch"
        WRITE = "write", "Write: also create, cancel and delete"

    PREFIX_CHARS = 12  # "rsk_" and 8 random characters: shown in the list, and looked up

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_tokens")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.WRITE)
    prefix = models.CharField(max_length=16, unique=True)  # the token's first characters
    token_hash = models.CharField(max_length=64)  # sha256 of the whole token, hex
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()


class IdempotencyKey(models.Model):
    """The first answer to a creating API request sent with an ``Idempotency-Key`` header, so
    a client that retries it gets that answer again instead of a second video. Unique per
    caller and key: of two identical requests at the same moment only one inserts the row."""

    owner = models.CharField(max_length=40)  # "token:<id>" or "user:<id>" (browser sessions)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)  # method, path and body: a reuse must match
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)  # None: in progress
    body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="one_response_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} of {self.owner}"
