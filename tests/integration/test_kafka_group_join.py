"""A group join whose round trip outlasts the poll that started it is completed by
a later poll (cia_common.kafka_clients.GroupConsumer).

kafka-python 3.0.12 leaves such a join for the next poll to collect, but only
collects it while a rejoin still looks needed. A rejoin the group leader starts
because its topics' metadata changed stops looking needed once the join is under
way, so the member stayed "rebalancing", heartbeats off, until the broker expired
it: the first joins that never completed in the suite's worker processes (there the
change is the metadata of the topic created just before subscribing). Here the
change is a partition added to the topic, and the rejoin is started by a poll that
gives up at once; the member must end up stable, with the new partition."""
from __future__ import annotations

import pytest
from kafka import KafkaAdminClient
from kafka.admin import NewPartitions

from cia_common.kafka_clients import ensure_topics, make_consumer
from tests.support import wait_for

pytestmark = pytest.mark.integration


def test_a_rejoin_completed_between_two_polls_is_collected_by_the_next(kafka_bootstrap,
                                                                        topic_prefix):
    topic = topic_prefix + "joins"
    ensure_topics(kafka_bootstrap, [topic])  # three partitions
    consumer = make_consumer(kafka_bootstrap, group_id=topic_prefix + "joiner")
    coordinator = consumer._coordinator
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)

    def partitions() -> set[int]:
        return {tp.partition for tp in consumer.assignment()}

    def polled_until_stable() -> bool:
        consumer.poll(timeout_ms=200)
        return coordinator.stable()

    try:
        consumer.subscribe(topics=[topic])
        wait_for(lambda: polled_until_stable() and partitions() == {0, 1, 2}, 60, 0,
                 message="the member stable with the topic's three partitions")
        generation = coordinator.group_metadata().generation_id

        # The leader (the only member) wants a rebalance once its metadata shows a
        # fourth partition; consumer.topics() fetches that metadata without polling.
        admin.create_partitions({topic: NewPartitions(total_count=4)})
        wait_for(lambda: consumer.topics() and coordinator.need_rejoin(), 30, 0.1,
                 message="the member's metadata showing the fourth partition")

        # A poll that gives up at once: the JoinGroup/SyncGroup round trip it started
        # is left in flight, and completes with no poll waiting for it.
        consumer.poll(timeout_ms=0)
        join = coordinator._join_task
        assert join is not None, "the rejoin completed within the poll: nothing left over"
        wait_for(lambda: join.is_done, 30, 0.01, message="the rejoin's round trip")
        # What the worker's consumer was left with: rebalancing, no rejoin pending.
        assert coordinator.rebalance_in_progress() and not coordinator.need_rejoin()

        wait_for(polled_until_stable, 60, 0,
                 message=f"the member stable again ({coordinator.state}, "
                         f"rejoin pending: {coordinator.need_rejoin()})")
        assert partitions() == {0, 1, 2, 3}
        assert coordinator.group_metadata().generation_id > generation
    finally:
        consumer.close(timeout_ms=5000)
        admin.close()
