"""Calendar parts of many dates at once, in integer arithmetic.

NumPy's conversion of datetime64[D] to years or months walks the calendar per element and is
the slowest step of a batch run; the civil-from-days algorithm (H. Hinnant, "chrono-compatible
low-level date algorithms") gives year, month and day with a dozen vectorized integer operations.
"""
from __future__ import annotations

import numpy as np


def civil(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month 1-12, day 1-31) of each datetime64[D] date."""
    z = dates.astype("datetime64[D]").astype(np.int64) + 719468      # days since 0000-03-01
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097                                          # day of the 400-year era
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)                 # day of the year from 1 March
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day
