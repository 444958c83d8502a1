"""The REST API (FastAPI): one router per resource, role-shaped schemas, problem+json errors."""
