"""The public site: language choice, job postings and blog stories; the
sitemap, robots.txt, feeds and structured data that search engines read."""

from . import discovery, structured_data  # noqa: F401 (their routes and template helpers are on bp)
from .views import bp

__all__ = ["bp"]
