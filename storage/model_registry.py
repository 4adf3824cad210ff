"""Imports every model module so that `Base.metadata` knows all tables."""

from storage import models, outbox_models, review_models, survey_models  # noqa: F401
from storage.models import Base

metadata = Base.metadata
