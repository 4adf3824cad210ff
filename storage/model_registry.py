"""Imports every model module so that `Base.metadata` knows all tables."""

from storage import (  # noqa: F401
    calibration_models,
    case_models,
    confirmation_models,
    consultation_models,
    development_models,
    holiday_models,
    key_check_models,
    models,
    outbox_models,
    performance_models,
    period_models,
    review_models,
    rollup_models,
    rtl_models,
    survey_models,
    webhook_models,
)
from storage.models import Base

metadata = Base.metadata
