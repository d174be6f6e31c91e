# Production image: PostgreSQL by URL, configured entirely by environment variables.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    GROUNDSWELL_ENV=production

RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm openssl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 groundswell

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
COPY templates ./templates
COPY migrations ./migrations
COPY scripts ./scripts

# The same install steps as scripts/serve: an editable install (templates and migrations
# are read from /app) and htmx fetched from the npm registry and checked against its hash.
RUN python -m pip install --editable . \
    && bash -c 'source scripts/_common.sh && fetch_htmx' \
    && apt-get purge -y npm && apt-get autoremove -y

USER groundswell
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
CMD ["sh", "-c", "groundswell migrate && exec groundswell serve --host 0.0.0.0 --port 8000"]
