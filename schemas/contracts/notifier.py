"""Events of the notifier (topic ``cia.notifier.events``)."""
from __future__ import annotations

from .base import Contract, EventData, text


class SubscriptionDisabledData(EventData):
    subscription_id = text("The webhook subscription's id.")
    reason = text("Why it was disabled (e.g. its deliveries kept failing).")


def contracts() -> list[Contract]:
    return [Contract("subscription.disabled", "notifier", SubscriptionDisabledData,
                     "A webhook subscription was disabled.")]
