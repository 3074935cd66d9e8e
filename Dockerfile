# syntax=docker/dockerfile:1
# Khabar API image.  docker build -t khabar .
#   docker run -p 8000:8000 -e KHABAR_SECRET_KEY=<32+ random chars> -v khabar-var:/app/var khabar
# KHABAR_ENV=production refuses to start without a real secret. The default database is a SQLite
# file in the /app/var volume; set DATABASE_URL (and REDIS_URL) for PostgreSQL deployments.

FROM python:3.11-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
# Dependencies first, from the lock, so code edits do not invalidate this layer.
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
# Editable install: the app reads alembic.ini and migrations/ next to its package, so the
# source stays at /app in the runtime image and the venv points there.
COPY pyproject.toml alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN pip install --no-cache-dir --no-deps -e .

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    KHABAR_ENV=production \
    WEB_CONCURRENCY=2
RUN groupadd --system --gid 10001 khabar \
    && useradd --system --uid 10001 --gid khabar --home-dir /app --no-create-home khabar
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app
RUN mkdir -p /app/var && chown khabar:khabar /app/var
VOLUME ["/app/var"]
USER 10001:10001
EXPOSE 8000
# slim has no curl; the interpreter is already here.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# `exec` hands PID 1 to uvicorn, so `docker stop` reaches it as SIGTERM.
CMD ["sh", "-c", "khabar db upgrade && exec khabar serve --host 0.0.0.0 --port 8000 --workers ${WEB_CONCURRENCY:-2}"]
