"""The message catalogs of Kazakhstan's texts: English is the message id, a language's catalog is
`locale/<lang>/LC_MESSAGES/<domain>.po`, compiled once when first asked for."""
from __future__ import annotations

import gettext
from functools import cache
from importlib.resources import files
from io import BytesIO

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from komek.errors import FieldError

LANGUAGES = ("en", "kk", "ru")
DOMAIN = "komek"


def N_(message: str) -> str:
    """Marks a template for the catalogs; it is translated when a sentence is made."""
    return message


@cache
def translations(lang: str, package: str = "komek.kz", domain: str = DOMAIN) -> gettext.NullTranslations:
    """The catalog of a language, compiled from its .po file once (English is the message ids):
    the summary's by default, another package's `locale/<lang>/LC_MESSAGES/<domain>.po` when named."""
    if lang not in LANGUAGES:
        raise FieldError("lang", f"unknown language {lang!r} (one of {', '.join(LANGUAGES)})")
    if lang == "en":
        return gettext.NullTranslations()
    path = files(package).joinpath("locale", lang, "LC_MESSAGES", f"{domain}.po")
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang, domain=domain)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=domain)
