"""Accounts: the password reset form, held to a rate per address and per email."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse

from studio import ratelimits


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset form; too many requests from one address or for one email get 429.

    django-axes counts failed sign-ins only, and each reset request sends an email, so the
    form is throttled here with the studio's limiter.
    """

    template_name = "registration/password_reset_form.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        email = str(request.POST.get("email", "")).strip().lower()
        wait = ratelimits.wait_for(
            request, "password_reset", key=f"ip:{ratelimits.client_ip(request)}"
        )
        if email:
            wait = ratelimits.wait_for(request, "password_reset", key=f"email:{email}") or wait
        if wait is None:
            return super().post(request, *args, **kwargs)
        context = self.get_context_data(
            form=self.get_form(),
            throttled=ratelimits.too_many("password_reset", wait),
        )
        return ratelimits.refused(self.render_to_response(context), wait)


password_reset = PasswordResetView.as_view()
