"""Built-in text-to-video templates: prompts that the embedded engine understands too.

Their subject (a shape, its colour, the background and a motion) is said in words the embedded
model knows, so the videos and library previews it makes show what the prompt asks for; the
rest of each prompt still speaks to the larger engines. Their previews are cleared, so
``manage.py template_previews`` (run by the setup script) makes them again.
"""

from django.db import migrations

PROMPTS = {
    "Explainer opener": (
        "colorful shapes moving slowly on a plain background, about {topic}",
        "a white star rises slowly on a blue background, clean motion graphics about {topic}",
    ),
    "Vertical social ad": (
        "{product} spinning on a vivid colored background",
        "{product}: a large yellow star spins on a red background, bold and vivid",
    ),
    "Event promo": (
        "bright lights moving over a dark stage, {mood} mood",
        "a white circle bounces on a black background, bright stage lights, {mood} mood",
    ),
    "Customer-quote card": (
        "soft gradient colors drifting slowly",
        "a small blue circle drifts left on a white background, soft and calm",
    ),
}


def _set(apps, index: int) -> None:
    Template = apps.get_model("studio", "Template")
    for name, prompts in PROMPTS.items():
        Template.objects.filter(workspace=None, name=name).update(
            prompt=prompts[index], preview="", preview_poster=""
        )


def forwards(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    _set(apps, 1)


def backwards(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    _set(apps, 0)


class Migration(migrations.Migration):
    dependencies = [
        ("studio", "0014_template_voice"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
