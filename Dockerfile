# The arcadence image: one image, three roles (migrate, worker, api), chosen by the command.
# Lean: the exact versions of constraints.txt without the `embedded` extra (the development
# Postgres and Temporal servers that only `make dev` and `make test` use), built in a first stage
# and copied as one virtualenv into a runtime stage that runs as a non-root user.

FROM python:3.11-slim AS build

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/arcadence
WORKDIR /src
COPY pyproject.toml constraints.txt README.md alembic.ini ./
COPY api ./api
COPY activities ./activities
COPY domain ./domain
COPY models ./models
COPY services ./services
COPY workers ./workers
COPY workflows ./workflows
RUN /opt/arcadence/bin/pip install -c constraints.txt .

FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/arcadence/bin:$PATH \
    ARCADENCE_API_HOST=0.0.0.0 \
    ARCADENCE_LOG_JSON=true

RUN groupadd --system --gid 10001 arcadence \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --create-home --shell /usr/sbin/nologin arcadence
COPY --from=build /opt/arcadence /opt/arcadence
WORKDIR /app
USER 10001:10001
EXPOSE 8000 9464
ENTRYPOINT ["arcadence"]
CMD ["--help"]
