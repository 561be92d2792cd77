#!/usr/bin/env python
"""Django's command-line utility, with one project rule: schema and seeding commands connect
as the database owner, everything else as the restricted runtime role (see dms/settings.py)."""

import os
import sys

# Commands that create tables, policies or bulk demo data run as the table owner; the web app,
# workers and every other command run as the role that RLS applies to.
OWNER_COMMANDS = {
    "migrate",
    "makemigrations",
    "flush",
    "seed_demo",
    "seed_funnel",
    "sqlflush",
    "setup_db",
    "citus_distribute",
}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dms.settings")
    if len(sys.argv) > 1 and sys.argv[1] in OWNER_COMMANDS:
        os.environ.setdefault("DMS_DB_AS_OWNER", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
