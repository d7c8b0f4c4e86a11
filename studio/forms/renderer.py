"""How form fields are drawn: Django's own widget templates in their Jinja2 versions
(django/forms/jinja2), the same markup as the Django-template ones at a fraction of the cost.
A select draws each option through an include: on the prompt editor the widgets were 44 % of
the page's time in the Django templates (bench/page_costs.py). A widget template that exists
only as a Django template (the admin's, e.g. its related-object wrapper) is drawn by Django's
own renderer."""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates, Jinja2
from django.template.exceptions import TemplateDoesNotExist
from django.utils.functional import cached_property


class WidgetRenderer(Jinja2):
    @cached_property
    def django_templates(self) -> DjangoTemplates:
        return DjangoTemplates()

    def get_template(self, template_name: str) -> Any:
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return self.django_templates.get_template(template_name)
