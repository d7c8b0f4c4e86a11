"""Style LoRAs: owners upload a look for a model family; editors run jobs with one.

A LoRA is checked before it is stored, against the configured model the owner names: a
safetensors file within the size limit whose layers map onto that model's transformer (see
generation/engines/style_loras.py; only headers are read, no weights are loaded). The layers
are kept with the row, so a job can be checked against the model it asks for without the file.
"""

from __future__ import annotations

import hashlib
import secrets
import tempfile
from pathlib import Path

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from generation import limits
from generation.engines import check_style_lora
from generation.engines.style_loras import SUFFIX, read_layers, summary
from studio.engines import engine_settings
from studio.models import Job, StyleLora, Workspace
from studio.services.errors import refused_as

CHUNK_BYTES = 1024 * 1024


def style_lora_create(
    *, workspace: Workspace, user: User, name: str, engine: str, upload: UploadedFile
) -> StyleLora:
    """Store a LoRA for the family of ``engine``'s model once it is checked to fit that model;
    otherwise raise ValidationError (code ``lora_refused``) with the reason, storing nothing."""
    name = name.strip()[:100]
    if not name:
        raise ValidationError("Give the LoRA a name.", code="name_required")
    size = upload.size or 0
    if size > limits.MAX_STYLE_LORA_BYTES:
        raise ValidationError(
            "The file is %(size).0f MB; a LoRA may be at most %(limit).0f MB.",
            code="lora_too_large",
            params={"size": size / 2**20, "limit": limits.MAX_STYLE_LORA_BYTES / 2**20},
        )
    with tempfile.TemporaryDirectory(prefix="reelsmith-lora-") as tmp:
        # Named as uploaded (a .pt stays a .pt and is refused for it), read from local disk.
        path = Path(tmp) / Path(upload.name or "lora").name
        digest = _copy(upload, path)
        with refused_as("lora_refused"):
            layers = read_layers(path)
            family = check_style_lora(engine, layers, engine_settings())
    lora = StyleLora(
        workspace=workspace,
        name=name,
        family=family,
        engine=engine,
        size_bytes=size,
        sha256=digest,
        layers=layers,
        layers_summary=summary(layers)[:300],
        created_by=user,
    )
    upload.seek(0)
    lora.file.save(f"{secrets.token_hex(6)}{SUFFIX}", upload, save=False)
    lora.save()
    return lora


def style_lora_delete(*, lora: StyleLora) -> None:
    """Delete a LoRA, file and all; refused while a queued or running job still uses it.
    Finished jobs keep their videos (and lose the link to the LoRA); templates that name it
    make their videos without one from then on."""
    with transaction.atomic():
        active = lora.jobs.filter(status__in=(Job.Status.QUEUED, Job.Status.RUNNING)).count()
        if active:
            raise ValidationError(
                "%(count)s queued or running job(s) use %(name)s; wait for them to finish or "
                "cancel them, then delete it.",
                code="lora_in_use",
                params={"count": active, "name": lora.name},
            )
        lora.delete()


def style_lora_check(*, lora: StyleLora, engine: str) -> None:
    """Raise ValidationError (code ``lora_unfit``) when ``engine`` cannot run ``lora``:
    another family, or another model's layers (the LoRA's checked layers against its own)."""
    with refused_as("lora_unfit"):
        check_style_lora(engine, lora.layers, engine_settings(), family=lora.family)


def _copy(upload: UploadedFile, path: Path) -> str:
    """Write the upload to ``path``; returns its SHA-256."""
    digest = hashlib.sha256()
    upload.seek(0)
    with path.open("wb") as out:
        for chunk in upload.chunks(CHUNK_BYTES):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()
