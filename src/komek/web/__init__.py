"""The web pages: server-rendered (Jinja2, htmx where a page updates in place, no build step) over
the same services as the API, in Kazakh, Russian and English. A face beside the API, which mounts
it at `/` (docs/web.md)."""
from komek.web.app import pages

__all__ = ["pages"]
