import gc
import os

from django.core.wsgi import get_wsgi_application

# gunicorn (the Dockerfile, compose) loads this module: production settings unless told
# otherwise (DEBUG off, the secret key required). The laptop's development server is
# manage.py runserver with certbody.settings.local (run.py).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certbody.settings.production")
application = get_wsgi_application()

# Everything loaded so far (Django, the settings, the apps and models: ~130,000 objects) lives
# as long as the process. Frozen, the garbage collector stops re-examining it: a full collection
# in a web worker took 80 ms with it, during which the worker answered nothing (the public
# lookup's p99), and 0.3 ms without (docs/benchmarks.md).
gc.freeze()
