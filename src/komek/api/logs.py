"""IINs never reach an application log: the server's access and error logs (an IIN sits in
`/persons/{iin}` and in search queries) and Komek's own pass through a filter that masks every
12-digit number, in the message, its arguments and a traceback, before any handler sees it."""
from __future__ import annotations

import logging

from komek.kz.iin import mask_text

LOGGERS = ("uvicorn.access", "uvicorn.error", "komek")


class MaskIins(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.msg) if isinstance(record.msg, str) else record.msg
        if isinstance(record.args, tuple):
            record.args = tuple(mask_text(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: mask_text(v) if isinstance(v, str) else v for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
        return True


def mask_logs() -> None:
    """Install the filter on the loggers the server writes (once, however many apps are made)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskIins) for f in logger.filters):
            logger.addFilter(MaskIins())
