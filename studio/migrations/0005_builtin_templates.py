"""The built-in template library: recipes every workspace sees (workspace is None).

Previews are not stored yet; the library shows each template's settings until they are.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

SIZES = {"16:9": (896, 512), "9:16": (512, 896), "1:1": (512, 512)}


def _field(name: str, label: str, max_length: int = 60, required: bool = True) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "text",
        "required": required,
        "max_length": max_length,
    }


BUILTINS: list[dict[str, Any]] = [
    {
        "name": "Product showcase",
        "description": "A slow camera move over your product photo, ending on your call to action.",
        "mode": "image-to-video",
        "engine": "camera-motion",
        "prompt": "slow zoom in on {product}, clean studio light",
        "motion": "zoom-in",
        "aspect": "16:9",
        "num_frames": 48,
        "fps": 12,
        "steps": 1,
        "guidance": 0.0,
        "fields": [_field("product", "Product name"), _field("cta", "Call to action", 40)],
        "overlays": {"end_card": {"cta": "{cta}", "seconds": 1.5}},
    },
    {
        "name": "Explainer opener",
        "description": "Moving shapes behind a big title: the first seconds of an explainer.",
        "mode": "text-to-video",
        "prompt": "colorful shapes moving slowly on a plain background, about {topic}",
        "aspect": "16:9",
        "num_frames": 32,
        "fps": 8,
        "fields": [_field("topic", "Topic"), _field("headline", "Title on screen", 50)],
        "overlays": {"title": {"text": "{headline}", "seconds": 2.0}},
    },
    {
        "name": "Talking-head sales intro",
        "description": "A presenter greets each prospect by name. Needs a talking-head engine.",
        "mode": "avatar",
        "prompt": "a friendly presenter facing the camera in a bright office",
        "script": "Hi {first_name}! I'm {sender_name} from {company}. {cta}",
        "aspect": "16:9",
        "num_frames": 96,
        "fps": 24,
        "fields": [
            _field("first_name", "Prospect's first name", 40),
            _field("sender_name", "Your name", 40),
            _field("company", "Your company", 60),
            _field("cta", "Call to action", 80),
        ],
        "overlays": {
            "lower_third": {"name": "{sender_name}", "company": "{company}"},
            "end_card": {"cta": "{cta}", "seconds": 1.5},
        },
    },
    {
        "name": "Vertical social ad",
        "description": "A 9:16 clip for stories and reels, ending on your offer.",
        "mode": "text-to-video",
        "prompt": "{product} spinning on a vivid colored background",
        "aspect": "9:16",
        "num_frames": 32,
        "fps": 8,
        "fields": [_field("product", "Product"), _field("cta", "Offer or call to action", 40)],
        "overlays": {"end_card": {"cta": "{cta}", "seconds": 1.5}},
    },
    {
        "name": "Event promo",
        "description": "Lights and motion under the event's name and date, then how to register.",
        "mode": "text-to-video",
        "prompt": "bright lights moving over a dark stage, {mood} mood",
        "aspect": "16:9",
        "num_frames": 32,
        "fps": 8,
        "fields": [
            _field("event_name", "Event name"),
            _field("date", "Date and place"),
            _field("mood", "Mood", 30, required=False),
            _field("cta", "How to register", 60),
        ],
        "overlays": {
            "title": {"text": "{event_name}", "subtitle": "{date}", "seconds": 2.0},
            "end_card": {"cta": "{cta}", "seconds": 1.5},
        },
    },
    {
        "name": "Customer-quote card",
        "description": "A square card with a customer's words over soft motion.",
        "mode": "text-to-video",
        "prompt": "soft gradient colors drifting slowly",
        "aspect": "1:1",
        "num_frames": 32,
        "fps": 8,
        "fields": [
            _field("quote", "Quote", 160),
            _field("customer", "Customer's name", 60),
            _field("company", "Customer's company", 60, required=False),
        ],
        "overlays": {
            "title": {"text": "\u201c{quote}\u201d", "seconds": 0},
            "lower_third": {"name": "{customer}", "company": "{company}"},
        },
    },
]


def add_builtins(apps: Any, schema_editor: Any) -> None:
    Template = apps.get_model("studio", "Template")
    for spec in BUILTINS:
        spec = dict(spec)
        spec["width"], spec["height"] = SIZES[spec["aspect"]]
        Template.objects.update_or_create(workspace=None, name=spec.pop("name"), defaults=spec)


def remove_builtins(apps: Any, schema_editor: Any) -> None:
    Template = apps.get_model("studio", "Template")
    Template.objects.filter(workspace=None, name__in=[s["name"] for s in BUILTINS]).delete()


class Migration(migrations.Migration):
    dependencies = [("studio", "0004_templates")]

    operations = [migrations.RunPython(add_builtins, remove_builtins)]
