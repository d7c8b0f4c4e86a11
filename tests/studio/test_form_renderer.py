"""Form fields drawn from Django's Jinja2 widget templates give the markup the Django-template
ones give (studio/forms/renderer.py), and a widget template that exists only as a Django
template (the admin's) is still found."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from django import forms
from django.forms.renderers import BaseRenderer, DjangoTemplates, get_default_renderer
from django.template.backends.django import Template as DjangoTemplate
from django.template.backends.jinja2 import Template as Jinja2Template

from studio.forms.renderer import WidgetRenderer


class Everything(forms.Form):
    """One field of each widget the studio's forms use, with values worth escaping."""

    name = forms.CharField(max_length=80, initial='Tom & "Jerry" <b>', help_text="Shown <b>")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), initial="a\n<script>")
    count = forms.IntegerField(min_value=1, max_value=9, initial=3)
    speed = forms.FloatField(widget=forms.NumberInput(attrs={"step": "0.1"}))
    engine = forms.ChoiceField(
        choices=[
            ("", "Pick one"),
            ("Built in", [("embedded", "Embedded"), ("wan", "Wan's 2.2 & co")]),
            ("other", "Other"),
        ],
        initial="wan",
    )
    mode = forms.ChoiceField(
        widget=forms.RadioSelect, choices=[("t2v", "Text"), ("i2v", "Image")], initial="t2v"
    )
    tags = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, choices=[("a", "A"), ("b", "B")], initial=["b"]
    )
    loud = forms.BooleanField(required=False, initial=True)
    image = forms.ImageField(required=False)
    token = forms.CharField(widget=forms.HiddenInput, initial="x'y")
    colour = forms.CharField(widget=forms.TextInput(attrs={"type": "color"}), initial="#ff0000")


def _normal(markup: str) -> str:
    """Whitespace between tags and the spelling of an escaped character are not markup."""
    markup = re.sub(r">\s+<", "><", markup.strip())
    markup = re.sub(r"\s+", " ", markup)
    return re.sub(r"&#?\w+;", lambda m: html.escape(html.unescape(m.group(0))), markup)


def _drawn(renderer: BaseRenderer, data: Mapping[str, str] | None) -> dict[str, str]:
    """Each field as a page draws it (label, help, errors, widget), the errors, the form."""
    form = Everything(data=data, renderer=renderer)
    if data is not None:
        form.is_valid()
    drawn = {name: _normal(form[name].as_field_group()) for name in form.fields}
    drawn["errors"] = _normal(str(form.errors))
    drawn["whole form"] = _normal(str(form))
    return drawn


def test_every_widget_is_drawn_as_the_django_templates_draw_it() -> None:
    fresh = _drawn(WidgetRenderer(), None)
    assert fresh == _drawn(DjangoTemplates(), None)
    assert 'value="Tom &amp; &quot;Jerry&quot; &lt;b&gt;"' in fresh["name"]
    refused = {"name": "", "count": "12", "engine": "nope", "speed": "fast"}
    with_errors = _drawn(WidgetRenderer(), refused)
    assert with_errors == _drawn(DjangoTemplates(), refused)
    assert "errorlist" in with_errors["errors"] and "errorlist" in with_errors["count"]
    assert "Ensure this value is less than or equal to 9." in with_errors["count"]


def test_the_configured_renderer_draws_widgets_with_jinja2_and_the_admins_with_django() -> None:
    renderer = get_default_renderer()
    assert isinstance(renderer, WidgetRenderer)
    assert isinstance(renderer.get_template("django/forms/widgets/select.html"), Jinja2Template)
    admin = renderer.get_template("admin/widgets/related_widget_wrapper.html")
    assert isinstance(admin, DjangoTemplate)
