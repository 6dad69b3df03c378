"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``.

A configuration that cannot run safely stops here with one line saying
what to set, not a traceback.
"""

import gc
import sys

from portal import create_app
from portal.plumbing.config import ConfigurationError

#: Exit status for a configuration that cannot run: gunicorn stops on it
#: ("worker failed to boot") instead of starting the worker again forever.
CONFIGURATION_ERROR_STATUS = 3

try:
    app = create_app()
except ConfigurationError as error:
    print(f"portal: {error}", file=sys.stderr)
    sys.exit(CONFIGURATION_ERROR_STATUS)

# What a server process holds for its whole life (modules, templates, the
# app) is left out of the cyclic collector's rounds, which requests would
# otherwise pay for; with gunicorn's preload_app this also runs before the
# workers are forked, so they keep sharing those memory pages.
gc.freeze()
