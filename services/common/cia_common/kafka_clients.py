"""Kafka clients configured the one way this project uses them."""
from __future__ import annotations

import logging

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)

TOPIC_PARTITIONS = 3
# Upper bound of a consumer's reconnect (and metadata refresh) backoff; see make_consumer.
RECONNECT_BACKOFF_MAX_MS = 1000


def make_producer(bootstrap: str) -> KafkaProducer:
    # Idempotence is set explicitly with acks='all' (kafka-python's code and docs
    # disagree on the default); a bounded delivery timeout lets the relay notice a
    # dead broker and retry the rows later instead of blocking for two minutes.
    return KafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=0,
        delivery_timeout_ms=15000,
        request_timeout_ms=10000,
        max_block_ms=10000,
        bootstrap_timeout_ms=5000,
        # As for consumers (make_consumer): kafka-python's 30 s reconnect backoff held
        # events for many seconds after a broker came back.
        reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
    )


def resume_unobserved_join(coordinator) -> bool:
    """Have the next poll collect a group join that completed while no poll awaited
    it (see GroupConsumer); True if there was one."""
    try:
        stuck = coordinator.rebalance_in_progress() and not coordinator.need_rejoin()
    except AttributeError:  # not kafka-python's coordinator: nothing known to repair
        return False
    if stuck:
        log.info("consumer group %s: a join completed unobserved; rejoining",
                 getattr(coordinator, "group_id", "?"))
        coordinator.request_rejoin()
    return stuck


class GroupConsumer(KafkaConsumer):
    """kafka-python 3.0.12's consumer, minus a join that never completes.

    A poll whose timeout runs out during a JoinGroup/SyncGroup round trip leaves
    the join in flight for the next poll to collect, but only if the next poll
    still sees a rejoin is needed. A rejoin the leader starts because the topics'
    metadata changed is needed only while that difference lasts, and the join
    itself clears it. Every first join is such a case: the group is joined before
    the metadata of the topic created just before arrives (no partitions), then
    joined again. When the second round trip outlasted the poll, the member stayed
    "rebalancing" with heartbeats off until the broker expired it (docs/latency.md,
    "A first join that never completed"; the Java client keeps its rejoin flag set
    until the join completes, KAFKA-9815). So before each poll such a join is
    requested again, and that poll collects it (or joins anew: one more rebalance)."""

    def poll(self, timeout_ms=0, max_records=None, update_offsets=True):
        resume_unobserved_join(self._coordinator)
        return super().poll(timeout_ms=timeout_ms, max_records=max_records,
                            update_offsets=update_offsets)


def make_consumer(bootstrap: str, group_id: str, **extra) -> GroupConsumer:
    return GroupConsumer(
        bootstrap_servers=bootstrap,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=100,
        fetch_max_wait_ms=100,
        bootstrap_timeout_ms=5000,
        session_timeout_ms=10000,
        heartbeat_interval_ms=3000,
        # A consumer that joined before a new topic's metadata arrived is assigned
        # no partitions until its next metadata refresh: keep that refresh short.
        metadata_max_age_ms=5000,
        # kafka-python backs off reconnecting to a node exponentially up to this
        # bound (its default is 30 s, with +-20 % jitter), and its metadata
        # refresh shares that backoff. After a broker restart a member therefore
        # sat for up to half a minute with its coordinator unknown, and then
        # fetched with a stale leader epoch (FENCED_LEADER_EPOCH) until the next
        # metadata refresh was allowed: no heartbeat, no records. One second (the
        # Java client's default) lets it rejoin and fetch within about a second
        # of the broker's return. See docs/latency.md, "After a broker restart".
        reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
        **extra,
    )


def ensure_topics(bootstrap: str, topics: list[str], partitions: int = TOPIC_PARTITIONS) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, bootstrap_timeout_ms=5000)
    try:
        existing = set(admin.list_topics())
        wanted = {t: {"num_partitions": partitions, "replication_factor": 1}
                  for t in topics if t not in existing}
        if wanted:
            try:
                admin.create_topics(wanted, timeout_ms=10000, raise_errors=False,
                                    wait_for_metadata=True)
            except TopicAlreadyExistsError:
                pass
    finally:
        admin.close()


def group_not_ready(bootstrap: str, group: str, topics: list[str],
                    timeout_ms: int = 2000) -> str | None:
    """Why consumer ``group`` is not yet consuming every partition of ``topics`` (its
    state is not Stable, a topic is not there yet, a partition is assigned to nobody),
    or None once it is: what a worker-backed service's readiness waits for."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, bootstrap_timeout_ms=timeout_ms,
                             request_timeout_ms=timeout_ms)
    try:
        info = admin.describe_groups([group]).get(group) or {}
        state = info.get("group_state") or "absent"
        if state != "Stable":
            return f"consumer group {state}"
        assigned = {(a["topic"], p)
                    for member in info.get("members") or ()
                    if isinstance(member.get("member_assignment"), dict)
                    for a in member["member_assignment"].get("assigned_partitions") or ()
                    for p in a["partitions"]}
        wanted = set()
        for meta in admin.describe_topics(list(topics)):
            if meta.get("error_code") or not meta.get("partitions"):
                return f"topic {meta.get('name')} not there yet"
            wanted.update((meta["name"], p["partition_index"]) for p in meta["partitions"])
        missing = wanted - assigned
        return f"{len(missing)} partition(s) assigned to no member" if missing else None
    finally:
        admin.close()


def broker_reachable(bootstrap: str, timeout_ms: int = 2000) -> bool:
    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, bootstrap_timeout_ms=timeout_ms,
                                 request_timeout_ms=timeout_ms)
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
    try:
        admin.describe_cluster()
        return True
    except Exception:  # noqa: BLE001
        return False
    finally:
        admin.close()
