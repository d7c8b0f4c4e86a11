"""Errors as problem details (RFC 9457): ``type``, ``title``, ``status``, ``detail``, a
``code``, and for bad input ``errors``, one per message, each with its field and code.

Services and forms raise Django's ValidationError with a code; the API shows the same
messages the pages show (one fact, one place), under the API's field names.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response
from rest_framework.views import exception_handler

CONTENT_TYPE = "application/problem+json"


def problem(status: int, detail: str, *, code: str, **extra: Any) -> dict[str, Any]:
    """The body of a problem answer."""
    return {
        "type": "about:blank",  # the status says it all; ``code`` tells the cases apart
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }


def problem_response(status: int, detail: str, *, code: str, **extra: Any) -> Response:
    return Response(
        problem(status, detail, code=code, **extra), status=status, content_type=CONTENT_TYPE
    )


def invalid(
    errors: Mapping[str, list[DjangoValidationError]] | DjangoValidationError,
) -> exceptions.ValidationError:
    """A DRF ValidationError of Django ones (a form's ``errors.as_data()``, or a service's
    error, which names no field), their messages and codes kept."""
    if isinstance(errors, DjangoValidationError):
        # A service's error names its fields (a dict) or none.
        errors = (
            {field: [DjangoValidationError(found)] for field, found in errors.error_dict.items()}
            if hasattr(errors, "error_dict")
            else {"__all__": [errors]}
        )
    detail: dict[str, list[ErrorDetail]] = {}
    for field, found in errors.items():
        for error in found:
            for each in error.error_list:
                for message in each.messages:
                    detail.setdefault(field, []).append(
                        ErrorDetail(message, code=each.code or "invalid")
                    )
    return exceptions.ValidationError(detail)


def form_invalid(
    form: forms.Form, *, names: Mapping[str, str] | None = None
) -> exceptions.ValidationError:
    """The form's errors under the API's field names (``names``: form field -> API field)."""
    names = names or {}
    return invalid(
        {names.get(field, field): found for field, found in form.errors.as_data().items()}
    )


def not_found(request: HttpRequest) -> HttpResponse:
    """An /api/v1/ address that names no resource."""
    body = problem(404, f"The API has no {request.path}.", code="not_found")
    return JsonResponse(body, status=404, content_type=CONTENT_TYPE)


def problem_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = invalid(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound("No such thing in this workspace.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    status = response.status_code
    if isinstance(exc, exceptions.ValidationError):
        errors = list(_field_errors(exc.detail))
        detail = (
            errors[0]["detail"] if len(errors) == 1 else f"{len(errors)} things to fix: see errors."
        )
        body = problem(status, detail, code="invalid", errors=errors)
    else:
        codes = exc.get_codes()
        body = problem(status, str(exc.detail), code=codes if isinstance(codes, str) else "error")
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            body["retry_after"] = int(response.headers.get("Retry-After", 1))
    response.data = body
    response.content_type = CONTENT_TYPE
    return response


def _field_errors(detail: Any, field: str | None = None) -> Any:
    """Each message of a DRF error detail (dicts of lists, nested), with its field's name
    (dotted for nested ones; None for the request as a whole) and its code."""
    if isinstance(detail, dict):
        for name, inner in detail.items():
            own = None if name in ("__all__", "non_field_errors") else str(name)
            yield from _field_errors(
                inner, own if field is None or own is None else f"{field}.{own}"
            )
    elif isinstance(detail, list):
        for inner in detail:
            yield from _field_errors(inner, field)
    else:
        yield {"field": field, "code": getattr(detail, "code", "invalid"), "detail": str(detail)}
