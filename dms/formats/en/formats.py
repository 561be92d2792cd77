# English as the European network writes it (en-GB style): "7 Dec 2026", "7 Dec 2026, 14:05".
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = DATE_FORMAT
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j M"
DATE_TIME_SEPARATOR = ", "  # between a day and its time (dms.ui.dates)
WEEKDAY_DATE_FORMAT = "D j M Y"
WEEKDAY_MONTH_DAY_FORMAT = "D j M"
FIRST_DAY_OF_WEEK = 1  # Monday
# Typed dates are read day first, as written above (never 07/12 as July); ISO first for inputs.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
]
