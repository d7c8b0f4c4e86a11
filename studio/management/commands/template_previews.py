"""Make the library's previews: each template filled with sample values and generated.

    python manage.py template_previews              # built-in templates without a preview
    python manage.py template_previews --all        # make them all again
    python manage.py template_previews --name "Product showcase"

A template whose engine is not installed here is skipped with the reason.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from PIL import Image, ImageDraw

from studio import services
from studio.models import Template

# Values a marketer might type, so previews read like real videos.
SAMPLES = {
    "first_name": "Ana",
    "sender_name": "Sam",
    "company": "Northwind",
    "cta": "Book a demo at northwind.example",
    "product": "the trail sneaker",
    "topic": "data privacy",
    "headline": "Privacy, explained",
    "event_name": "Spring Summit",
    "date": "12 May · Lisbon",
    "mood": "festive",
    "quote": "We shipped in half the time.",
    "customer": "Lee Chen",
}


# The talking-head presenter: NASA's public-domain portrait of astronaut Eileen Collins.
SAMPLE_PRESENTER = Path(__file__).resolve().parents[2] / "samples" / "presenter.jpg"


def sample_image(path: Path, width: int, height: int) -> Path:
    """A product-like still for image-to-video previews: a shoe-ish shape on a studio sweep."""
    image = Image.new("RGB", (width, height), (228, 230, 236))
    draw = ImageDraw.Draw(image)
    for y in range(height):  # the sweep: light at the top, a soft shadow at the bottom
        shade = 236 - int(40 * (y / height) ** 2)
        draw.line((0, y, width, y), fill=(shade, shade, shade + 6))
    cx, cy = width // 2, int(height * 0.6)
    draw.ellipse(
        (cx - width // 4, cy + height // 10, cx + width // 4, cy + height // 7),
        fill=(170, 170, 178),
    )
    draw.rounded_rectangle(
        (cx - width // 5, cy - height // 8, cx + width // 5, cy + height // 9),
        radius=height // 12,
        fill=(214, 64, 52),
    )
    draw.rectangle(
        (cx - width // 5, cy + height // 18, cx + width // 5, cy + height // 9),
        fill=(245, 245, 245),
    )
    image.save(path)
    return path


class Command(BaseCommand):
    help = "Make the template library's previews with the installed engines."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--all", action="store_true", help="make existing previews again")
        parser.add_argument("--name", help="only the template of this name")

    def handle(self, *args: Any, **options: Any) -> None:
        templates = Template.objects.filter(workspace=None)
        if options.get("name"):
            templates = templates.filter(name=options["name"])
        if not options.get("all"):
            templates = templates.filter(preview="")
        for template in templates:
            values = {f["name"]: SAMPLES.get(f["name"], f["label"]) for f in template.fields}
            with tempfile.TemporaryDirectory() as tmp:
                image = None
                if template.mode == Template.Mode.IMAGE_TO_VIDEO:
                    image = sample_image(Path(tmp) / "sample.png", template.width, template.height)
                elif template.mode == Template.Mode.AVATAR:
                    image = SAMPLE_PRESENTER
                try:
                    services.templates.template_make_preview(
                        template=template, values=values, image_path=image
                    )
                except ValidationError as exc:
                    self.stdout.write(f"skipped {template.name}: {' '.join(exc.messages)}")
                    continue
            self.stdout.write(f"made {template.name}: {template.preview.name}")
