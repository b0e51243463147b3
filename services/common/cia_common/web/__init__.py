"""The web kit every service's app factory and views use: the only part of
``cia_common`` that speaks Flask and HTTP."""
from .app import create_service_app, db

__all__ = ["create_service_app", "db"]
