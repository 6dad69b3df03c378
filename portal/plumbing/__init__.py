"""Plumbing: what every layer stands on and no rule of the portal lives in.

Configuration (``config``), the database and migrations (``db``), HTTP caching
and security headers (``http``), languages and the URL-language routing
(``i18n``), gettext catalogs (``catalogs``, ``pseudo``), and request
protections (``security``).
"""
