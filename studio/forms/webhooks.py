"""The form that adds a webhook endpoint: its address, and the events it wants."""

from __future__ import annotations

from django import forms

from studio.models import WebhookEvent


class WebhookEndpointForm(forms.Form):
    # A plain text field: the address is checked by services.webhooks (scheme, host, and the
    # address guard), whose messages say what is wrong better than URLField's one.
    url = forms.CharField(
        label="Address",
        max_length=500,
        strip=True,
        widget=forms.URLInput(attrs={"placeholder": "https://crm.example.com/hooks/reelsmith"}),
        help_text="An https address on the public internet; Reelsmith POSTs each event there.",
    )
    events = forms.MultipleChoiceField(
        # The name a receiver sees in Reelsmith-Event, and what it means.
        choices=[(event.value, f"{event.value}: {event.label.lower()}") for event in WebhookEvent],
        widget=forms.CheckboxSelectMultiple,
        initial=[WebhookEvent.JOB_SUCCEEDED, WebhookEvent.JOB_FAILED],
        error_messages={"required": "Pick at least one event."},
    )
