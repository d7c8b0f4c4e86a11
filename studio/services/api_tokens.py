"""API tokens: made by a workspace's owners (or the api_token command), shown once, stored
as a hash, revoked at once; and the first answers kept for Idempotency-Key retries."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from studio.models import ApiToken, IdempotencyKey, Membership, Workspace

TOKEN_START = "rsk_"  # noqa: S105  # says what the string is, in a log or a secrets scan
LAST_USED_EVERY = timedelta(minutes=1)  # a token in use writes its row at most this often
IDEMPOTENCY_HOURS = 24  # how long the first answer to a key is given again
ABANDONED_AFTER = timedelta(minutes=10)  # longer than any creating request takes


def api_token_create(
    *,
    workspace: Workspace,
    user: User,
    name: str,
    scope: str = ApiToken.Scope.WRITE,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for an owner of the workspace, and the token itself: the only time it
    is known (its hash is stored)."""
    if not Membership.objects.filter(
        workspace=workspace, user=user, role=Membership.Role.OWNER
    ).exists():
        raise ValidationError(
            "Only owners of the workspace can make its API tokens.", code="not_owner"
        )
    if scope not in ApiToken.Scope.values:
        raise ValidationError("A token's scope is read or write.", code="bad_scope")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError("The expiry must be in the future.", code="expired")
    name = name.strip()
    if not name:
        raise ValidationError("Give the token a name.", code="required")
    while True:  # a prefix already taken (about one chance in 10^14) draws again
        raw = TOKEN_START + secrets.token_urlsafe(32)
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    workspace=workspace,
                    created_by=user,
                    name=name[:100],
                    scope=scope,
                    prefix=raw[: ApiToken.PREFIX_CHARS],
                    token_hash=ApiToken.hash_of(raw),
                    expires_at=expires_at,
                )
        except IntegrityError:
            continue
        return token, raw


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Stop the token at once: its next request is refused."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_touch(*, token: ApiToken) -> None:
    """Note that the token was used now (at most once a minute, so reads stay reads)."""
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_EVERY)
    ).update(last_used_at=now)


# Idempotency ----------------------------------------------------------------------------------


def idempotency_claim(*, owner: str, key: str, request_hash: str) -> IdempotencyKey | None:
    """Claim ``key`` for a request about to create something: None when it is ours to answer
    (the row is committed, so a concurrent duplicate finds it), else the row already there,
    with the first answer (or none yet, while the first request is still at work)."""
    now = timezone.now()
    IdempotencyKey.objects.filter(owner=owner, key=key).filter(
        Q(created_at__lt=now - timedelta(hours=IDEMPOTENCY_HOURS))
        # A claim never answered: its web process died mid-request.
        | Q(status_code__isnull=True, created_at__lt=now - ABANDONED_AFTER)
    ).delete()
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(owner=owner, key=key, request_hash=request_hash)
    except IntegrityError:
        return IdempotencyKey.objects.filter(owner=owner, key=key).first()
    return None


def idempotency_expired_delete() -> int:
    """Forget the answers older than IDEMPOTENCY_HOURS (and claims never answered), which no
    retry may get again: the hourly sweep calls this, so the table holds one day of keys."""
    now = timezone.now()
    deleted, _ = IdempotencyKey.objects.filter(
        Q(created_at__lt=now - timedelta(hours=IDEMPOTENCY_HOURS))
        | Q(status_code__isnull=True, created_at__lt=now - ABANDONED_AFTER)
    ).delete()
    return deleted


def idempotency_store(*, owner: str, key: str, status_code: int, body: Any) -> None:
    """Keep the first answer to ``key``; a refusal (4xx, 5xx) frees the key instead, so the
    client can send the request again once it is fixed."""
    rows = IdempotencyKey.objects.filter(owner=owner, key=key, status_code__isnull=True)
    if 200 <= status_code < 300:
        rows.update(status_code=status_code, body=body)
    else:
        rows.delete()
