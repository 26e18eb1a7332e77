"""gunicorn settings: `gunicorn ita_portal.wsgi` reads this file from the working directory.

preload_app: the application (Django, templates, WeasyPrint, fonts, the text-layer and pydyf
fixes) is imported once in the master before the workers fork, so the first request of every
worker is warm and the workers share those pages. Environment variables still win
(GUNICORN_CMD_ARGS, or flags on the command line).
"""

import os

wsgi_app = "ita_portal.wsgi"
preload_app = True
workers = int(os.environ.get("GUNICORN_WORKERS", "0")) or (2 * (os.cpu_count() or 1) + 1)
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))


def when_ready(server):
    """In the master, after the application is loaded: import every view (Django loads the URL
    configuration at the first request otherwise) and install the renderer's fixes, so that the
    forked workers start with them."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the URL configuration and its views

    from reports import pdf_patches, thai_text_layer

    thai_text_layer.enable()
    pdf_patches.enable()
