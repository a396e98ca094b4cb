"""The app factory that `openboard serve --workers N` hands to uvicorn's worker processes."""

from fastapi import FastAPI

from openboard.cli._context import Context
from openboard.config import load_settings


def app_from_environment() -> FastAPI:
    return Context.open(load_settings()).web_app()
