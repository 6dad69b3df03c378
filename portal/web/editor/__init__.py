"""The content editor: Decap CMS, served to admins, editing the content tree
through Decap's local backend (scripts/editor) or a git host."""

from .views import bp

__all__ = ["bp"]
