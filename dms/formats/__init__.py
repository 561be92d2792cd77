"""One date and time format per language (FORMAT_MODULE_PATH): Django's own locale formats mixed
"12/07/2026", "Dec. 7, 2026" and "p.m." on one English screen. Every named format of a language
writes a date the same way, the long and the short ones alike, and times on a 24-hour clock.

Beside Django's names, two of our own for dms.ui.dates (a day with its weekday, with and without
the year): WEEKDAY_DATE_FORMAT and WEEKDAY_MONTH_DAY_FORMAT. MONTH_DAY_FORMAT is the date without
its year, shown only for days in the reader's current year."""
