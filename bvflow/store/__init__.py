"""Storage: the only package that imports SQLModel and SQLAlchemy."""

from sqlmodel import Session

__all__ = ["Session"]
