"""The platform's HTTP API (FastAPI), a face over the services like the command line: versioned
under /api/v1, its OpenAPI document committed in docs/openapi.json."""
from komek.api.app import create_app

__all__ = ["create_app"]
