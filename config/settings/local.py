"""Development: `make run`. DEBUG on unless the environment says otherwise."""

from config.settings.base import *  # noqa: F403
