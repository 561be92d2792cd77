import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dms.settings")
application = get_wsgi_application()

from dms.process import settle_process  # noqa: E402 - after Django is set up

settle_process()
