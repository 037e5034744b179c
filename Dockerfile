# The arcadence image: one image, three roles (migrate, worker, api), chosen by the command.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml constraints.txt README.md alembic.ini ./
COPY api ./api
COPY activities ./activities
COPY domain ./domain
COPY models ./models
COPY services ./services
COPY workers ./workers
COPY workflows ./workflows
RUN pip install -c constraints.txt . \
    && useradd --system --uid 10001 --home /app arcadence
USER arcadence

ENV ARCADENCE_API_HOST=0.0.0.0 \
    ARCADENCE_LOG_JSON=true
EXPOSE 8000 9464
ENTRYPOINT ["arcadence"]
CMD ["--help"]
