"""cia_common.kafka_clients.resume_unobserved_join: a group join that completed while
no poll awaited it is requested again, and nothing else is."""
from __future__ import annotations

import pytest
from kafka.coordinator.consumer import ConsumerCoordinator

from cia_common.kafka_clients import resume_unobserved_join


class StubCoordinator:
    group_id = "g"

    def __init__(self, rebalancing: bool, rejoin_needed: bool):
        self.rebalancing = rebalancing
        self.rejoin_needed = rejoin_needed
        self.requests = 0

    def rebalance_in_progress(self) -> bool:
        return self.rebalancing

    def need_rejoin(self) -> bool:
        return self.rejoin_needed

    def request_rejoin(self) -> None:
        self.requests += 1
        self.rejoin_needed = True


def test_a_join_left_rebalancing_with_no_rejoin_pending_is_requested_again():
    coordinator = StubCoordinator(rebalancing=True, rejoin_needed=False)
    assert resume_unobserved_join(coordinator) is True
    assert coordinator.requests == 1 and coordinator.need_rejoin()
    # Once requested, the next poll collects it: not requested twice.
    assert resume_unobserved_join(coordinator) is False
    assert coordinator.requests == 1


@pytest.mark.parametrize("rebalancing, rejoin_needed", [(False, False), (False, True), (True, True)],
                         ids=["stable", "stable-rejoin-pending", "joining"])
def test_a_member_stable_or_already_rejoining_is_left_alone(rebalancing, rejoin_needed):
    coordinator = StubCoordinator(rebalancing, rejoin_needed)
    assert resume_unobserved_join(coordinator) is False
    assert coordinator.requests == 0


def test_an_unknown_coordinator_is_left_alone():
    assert resume_unobserved_join(object()) is False


def test_the_pinned_client_has_what_the_repair_calls():
    # Against a kafka-python without these, the repair would silently do nothing.
    for method in ("rebalance_in_progress", "need_rejoin", "request_rejoin"):
        assert callable(getattr(ConsumerCoordinator, method, None)), method
