"""Storage: SQLAlchemy models, the database handle and the Alembic migrations."""

from bot.storage.db import Database
from bot.storage.models import Article, Base, Delivery, Feed, Subscriber

__all__ = ["Article", "Base", "Database", "Delivery", "Feed", "Subscriber"]
