"""``Idempotency-Key`` on the API's creating POSTs: the same key from the same caller within
24 hours gets the first answer again (status and body) and creates nothing.

The key is claimed in the database before the work starts (a unique row per caller and key),
so of two identical requests at the same moment only one creates; the other is told to try
again, and then gets the first one's answer.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from rest_framework.request import Request
from rest_framework.response import Response

from studio import services
from studio.api.access import caller
from studio.api.problems import problem_response

HEADER = "Idempotency-Key"
MAX_KEY_CHARS = 255

View = Callable[..., Response]


def idempotent(method: View) -> View:
    """Wrap a view's ``post`` so that a retried request with the same key is answered once."""

    @functools.wraps(method)
    def post(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER, "")
        if not key:
            return method(view, request, *args, **kwargs)
        if len(key) > MAX_KEY_CHARS or "\x00" in key:
            return problem_response(
                400,
                f"An {HEADER} is at most {MAX_KEY_CHARS} characters.",
                code="bad_idempotency_key",
            )
        owner, fingerprint = caller(request), _fingerprint(request)
        first = services.api_tokens.idempotency_claim(
            owner=owner, key=key, request_hash=fingerprint
        )
        if first is not None:
            if first.request_hash != fingerprint:
                return problem_response(
                    422,
                    f"This {HEADER} was used for another request; use a new key for this one.",
                    code="idempotency_key_reused",
                )
            if first.status_code is None:
                response = problem_response(
                    409,
                    f"The first request with this {HEADER} is still being answered; "
                    "try again in a moment.",
                    code="idempotency_key_in_use",
                )
                response["Retry-After"] = "1"
                return response
            replay = Response(first.body, status=first.status_code)
            replay["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = method(view, request, *args, **kwargs)
        except BaseException:
            services.api_tokens.idempotency_store(owner=owner, key=key, status_code=500, body=None)
            raise
        services.api_tokens.idempotency_store(
            owner=owner, key=key, status_code=response.status_code, body=response.data
        )
        return response

    return post


def _fingerprint(request: Request) -> str:
    """A hash of the request: method, path, and its fields and files' contents."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    data = request.data
    items = data.lists() if hasattr(data, "lists") else data.items()
    fields: dict[str, Any] = {}
    for name, value in items:
        fields[name] = value
    for name, upload in getattr(request, "FILES", {}).items():
        fields.pop(name, None)
        fields[f"file:{name}"] = _file_hash(upload)
    digest.update(json.dumps(fields, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _file_hash(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()
