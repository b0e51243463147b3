"""The typed settings of one service process, read once from its configuration.

``load_config`` gathers the keys (defaults, environment, overrides) into the dict
Flask keeps; ``ServiceSettings.of(cfg)`` is the one typed view of the keys every
service shares. The event source address, the topics, the unit of work and the
worker's set-up all derive from it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from cia_schemas.contracts.base import SOURCES, TOPICS

from .db import Database, Recorder, UnitOfWork


def _number(value, default: float) -> float:
    """A configured number; unset (None or blank) is the default, 0 stays 0."""
    return default if value is None or value == "" else float(value)


@dataclass(frozen=True)
class ServiceSettings:
    service: str
    database_url: str
    kafka_bootstrap_servers: str
    topic_prefix: str = ""
    relay_poll_seconds: float = 0.05
    # While PostgreSQL's NOTIFY wakes the relay, polling is only the safety net.
    relay_fallback_poll_seconds: float = 1.0
    consumer_max_attempts: int = 3
    # A consumer that has not heartbeated its group for this long is replaced;
    # 0 or less turns that watchdog off.
    consumer_stall_seconds: float = 20.0
    # A new consumer that has not joined its group (never heartbeated) in this long is
    # replaced; None: three times ``consumer_stall_seconds``.
    consumer_join_seconds: float | None = None
    # Added to a worker's nice value at start (its threads and children inherit it).
    worker_nice: int = 0
    run_migrations: bool = True
    recorder: Recorder | None = field(default=None, compare=False)

    @classmethod
    def of(cls, cfg: dict, *, recorder: Recorder | None = None) -> "ServiceSettings":
        return cls(
            service=cfg.get("SERVICE_NAME") or "",
            database_url=cfg.get("DATABASE_URL") or "",
            kafka_bootstrap_servers=cfg.get("KAFKA_BOOTSTRAP_SERVERS") or "127.0.0.1:9092",
            topic_prefix=cfg.get("TOPIC_PREFIX") or "",
            relay_poll_seconds=_number(cfg.get("RELAY_POLL_SECONDS"), 0.05),
            relay_fallback_poll_seconds=_number(cfg.get("RELAY_FALLBACK_POLL_SECONDS"), 1.0),
            consumer_max_attempts=int(_number(cfg.get("CONSUMER_MAX_ATTEMPTS"), 3)),
            consumer_stall_seconds=_number(cfg.get("CONSUMER_STALL_SECONDS"), 20.0),
            consumer_join_seconds=(None if cfg.get("CONSUMER_JOIN_SECONDS") in (None, "")
                                   else float(cfg["CONSUMER_JOIN_SECONDS"])),
            worker_nice=int(_number(cfg.get("WORKER_NICE"), 0)),
            run_migrations=bool(cfg.get("RUN_MIGRATIONS", True)),
            recorder=recorder,
        )

    @property
    def source(self) -> str:
        """The CloudEvents ``source`` of everything this service emits."""
        return SOURCES[self.service]

    def topic(self, name: str) -> str:
        """Topic names carry an optional prefix so that test runs use fresh topics."""
        return f"{self.topic_prefix}{name}"

    def events_topic_of(self, service: str) -> str:
        """The topic ``service`` publishes its events on (one per producing service)."""
        return self.topic(TOPICS[service])

    @property
    def events_topic(self) -> str:
        return self.events_topic_of(self.service)

    def unit_of_work(self, db: Database) -> UnitOfWork:
        """A unit of work that writes this service's events (and, through the
        service's recorder, its own record of each change)."""
        return db.unit_of_work(source=self.source, topic=self.events_topic,
                               recorder=self.recorder)
