"""The admin API (FastAPI): one router per resource, thin over the services."""
