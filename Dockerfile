# One image, two commands: the web server (Daphne) and a GPU worker (Celery, one per GPU).
# The base carries CUDA 12 runtime libraries; on a machine without a GPU the worker runs the
# CPU engines only. Build: docker build -t reelsmith .
FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

ENV DEBIAN_FRONTEND=noninteractive PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 DJANGO_DEBUG=0 \
    VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH
RUN apt-get update && apt-get install -y --no-install-recommends \
        python3 python3-venv python3-dev ffmpeg espeak-ng fonts-dejavu-core redis-tools ca-certificates \
        libgl1 libglib2.0-0t64 \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /opt/venv

WORKDIR /app
COPY requirements.txt .
# The CUDA build of the pinned torch version for GPU workers (requirements.txt pins the CPU build's
# version, which is the same number).
RUN pip install --upgrade pip \
    && pip install --index-url https://download.pytorch.org/whl/cu128 "torch==$(grep '^torch==' requirements.txt | cut -d= -f3)" \
    && pip install -r requirements.txt

COPY . .
RUN DJANGO_SECRET_KEY=build python manage.py collectstatic --noinput

RUN useradd --create-home reelsmith && mkdir -p /app/var && chown -R reelsmith /app/var
USER reelsmith
EXPOSE 8000
# Web: daphne. Worker: see docker-compose.yml (celery -A studio worker -P solo ...).
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "studio.asgi:application"]
