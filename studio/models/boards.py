"""Boards: named collections of a workspace's videos."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from studio.models.jobs import Video
from studio.models.workspaces import Workspace


class Board(models.Model):
    """A named collection of a workspace's videos ("Spring launch", "Best of Q3")."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="boards")
    name = models.CharField(max_length=100)
    videos = models.ManyToManyField(Video, related_name="boards", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="one_board_per_name")
        ]

    def __str__(self) -> str:
        return self.name
