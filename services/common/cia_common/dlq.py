"""``cia dlq list|show|replay|discard``: the dead-lettered messages of every
service's events topic (``<topic>.dlq``).

A dead letter is dealt with once it is replayed or discarded: the consumer group
``<prefix>cia-dlq`` commits past it (``cia_dlq_messages`` on /metrics counts the
rest). Replay publishes the message again, unchanged and with its key, to the
topic it came from, so it goes through the normal idempotent consumers: the one
that failed handles it now, the others drop it as the duplicate it is for them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import click
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from .config import EVENT_TOPICS
from .events import CloudEvent, EnvelopeError
from .kafka_clients import make_producer

GROUP = "cia-dlq"  # prefixed, as every group and topic


@dataclass
class DeadLetter:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]
    pending: bool

    @property
    def id(self) -> str:
        return f"{self.topic}/{self.partition}/{self.offset}"

    @property
    def source_topic(self) -> str:
        return self.topic[: -len(".dlq")]

    def event(self) -> CloudEvent | None:
        try:
            return CloudEvent.from_json(self.value)
        except EnvelopeError:
            return None


def parse_id(text: str) -> tuple[str, int, int]:
    try:
        topic, partition, offset = text.rsplit("/", 2)
        return topic, int(partition), int(offset)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not TOPIC/PARTITION/OFFSET "
                                 "(as cia dlq list prints it)") from None


class DeadLetters:
    """Reads the DLQ topics and moves the ``cia-dlq`` group's position."""

    def __init__(self, bootstrap: str, prefix: str = ""):
        self.prefix = prefix
        self.consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=f"{prefix}{GROUP}",
                                      enable_auto_commit=False, allow_auto_create_topics=False,
                                      bootstrap_timeout_ms=5000,
                                      request_timeout_ms=15000, consumer_timeout_ms=2000)
        self.bootstrap = bootstrap

    def close(self) -> None:
        self.consumer.close()

    def topics(self) -> list[str]:
        existing = self.consumer.topics()
        wanted = [f"{self.prefix}{t}.dlq" for t in EVENT_TOPICS.values()]
        return [t for t in wanted if t in existing]

    def partitions(self, topics: list[str]) -> list[TopicPartition]:
        return [TopicPartition(t, p) for t in topics
                for p in sorted(self.consumer.partitions_for_topic(t) or ())]

    def positions(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        starts = self.consumer.beginning_offsets(partitions)
        out = {}
        for tp in partitions:
            committed = self.consumer.committed(tp)
            out[tp] = committed if committed is not None and committed >= 0 else starts[tp]
        return out

    def read(self, topics: list[str] | None = None) -> list[DeadLetter]:
        partitions = self.partitions(self.topics() if topics is None else topics)
        if not partitions:
            return []
        positions = self.positions(partitions)
        ends = self.consumer.end_offsets(partitions)
        starts = self.consumer.beginning_offsets(partitions)
        wanted = [tp for tp in partitions if ends[tp] > starts[tp]]
        if not wanted:
            return []
        self.consumer.assign(wanted)
        for tp in wanted:
            self.consumer.seek(tp, starts[tp])
        out: list[DeadLetter] = []
        remaining = set(wanted)
        while remaining:
            batches = self.consumer.poll(timeout_ms=5000)
            if not batches:
                break
            for tp, records in batches.items():
                for r in records:
                    if r.offset < ends[tp]:
                        out.append(DeadLetter(
                            r.topic, r.partition, r.offset, r.timestamp, r.key, r.value,
                            {k: v.decode(errors="replace") for k, v in r.headers or []},
                            pending=r.offset >= positions[tp]))
                    if r.offset + 1 >= ends[tp]:
                        remaining.discard(tp)
        return sorted(out, key=lambda d: (d.topic, d.partition, d.offset))

    def find(self, ids: list[str]) -> list[DeadLetter]:
        keys = [parse_id(i) for i in ids]
        topics = sorted({k[0] for k in keys})
        by_key = {(d.topic, d.partition, d.offset): d for d in self.read(topics)}
        missing = [i for i, k in zip(ids, keys) if k not in by_key]
        if missing:
            raise click.ClickException(f"no such dead letter: {', '.join(missing)}")
        return [by_key[k] for k in keys]

    def mark_done(self, letters: list[DeadLetter]) -> None:
        """Advance each partition's position over the dead letters now dealt with
        that directly follow it (one dealt with out of order stays counted until
        those before it are)."""
        done: dict[TopicPartition, set[int]] = {}
        for d in letters:
            done.setdefault(TopicPartition(d.topic, d.partition), set()).add(d.offset)
        positions = self.positions(list(done))
        offsets = {}
        for tp, handled in done.items():
            position = positions[tp]
            while position in handled:
                position += 1
            if position != positions[tp]:
                offsets[tp] = OffsetAndMetadata(position, "", -1)
        if offsets:
            self.consumer.commit(offsets)

    def replay(self, letters: list[DeadLetter]) -> tuple[list[DeadLetter], list[DeadLetter]]:
        """Publish each to its source topic; returns (replayed, refused as unparseable)."""
        replayable = [d for d in letters if d.event() is not None]
        refused = [d for d in letters if d.event() is None]
        if replayable:
            producer = make_producer(self.bootstrap)
            try:
                for d in replayable:
                    producer.send(d.source_topic, key=d.key, value=d.value,
                                  headers=[("dlq-replayed-from", d.id.encode())]).get(timeout=15)
            finally:
                producer.close(timeout=5)
            self.mark_done(replayable)
        return replayable, refused


def _open(ctx) -> DeadLetters:
    return DeadLetters(ctx.obj["bootstrap"], ctx.obj["prefix"])


def _describe(d: DeadLetter) -> str:
    event = d.event()
    what = f"{event.type} {event.id}" if event else "(not a CloudEvent)"
    error = (d.headers.get("dlq-error") or "").partition("\n")[0][:100]
    state = "pending" if d.pending else "done"
    return (f"{d.id}  {state:7}  consumer={d.headers.get('dlq-consumer', '?')}  {what}\n"
            f"    {error}")


@click.group("dlq")
@click.option("--bootstrap", envvar="KAFKA_BOOTSTRAP_SERVERS", default="127.0.0.1:9092",
              show_default=True, help="Kafka bootstrap servers ($KAFKA_BOOTSTRAP_SERVERS).")
@click.option("--prefix", envvar="CIA_TOPIC_PREFIX", default="",
              help="Topic prefix of the deployment ($CIA_TOPIC_PREFIX).")
@click.pass_context
def dlq(ctx, bootstrap: str, prefix: str) -> None:
    """Dead-lettered messages: list, show, replay, discard."""
    ctx.obj = {"bootstrap": bootstrap, "prefix": prefix}


@dlq.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also those already replayed or discarded.")
@click.pass_context
def list_(ctx, show_all: bool) -> None:
    """List dead letters (pending ones by default), oldest first."""
    letters = _open(ctx)
    try:
        found = [d for d in letters.read() if show_all or d.pending]
    finally:
        letters.close()
    for d in found:
        click.echo(_describe(d))
    click.echo(f"{len(found)} dead letter(s)" + ("" if show_all else " pending"))


@dlq.command("show")
@click.argument("ident", metavar="TOPIC/PARTITION/OFFSET")
@click.pass_context
def show(ctx, ident: str) -> None:
    """Print one dead letter: its headers (the error, the consumer, the source) and payload."""
    letters = _open(ctx)
    try:
        (d,) = letters.find([ident])
    finally:
        letters.close()
    click.echo(f"id:      {d.id} ({'pending' if d.pending else 'done'})")
    click.echo(f"key:     {d.key.decode(errors='replace') if d.key else ''}")
    for name, value in sorted(d.headers.items()):
        click.echo(f"{name}: {value}")
    try:
        click.echo(json.dumps(json.loads(d.value), indent=2, ensure_ascii=False))
    except ValueError:
        click.echo(repr(d.value[:2000]))


@dlq.command("replay")
@click.argument("idents", nargs=-1, metavar="[TOPIC/PARTITION/OFFSET]...")
@click.option("--all", "replay_all", is_flag=True, help="Every pending dead letter.")
@click.pass_context
def replay(ctx, idents: tuple[str, ...], replay_all: bool) -> None:
    """Publish dead letters again to the topic they came from (after fixing their cause)."""
    if bool(idents) == replay_all:
        raise click.UsageError("name dead letters to replay, or give --all")
    letters = _open(ctx)
    try:
        chosen = [d for d in letters.read() if d.pending] if replay_all \
            else letters.find(list(idents))
        replayed, refused = letters.replay(chosen)
    finally:
        letters.close()
    for d in replayed:
        click.echo(f"replayed {d.id} to {d.source_topic}")
    for d in refused:
        click.echo(f"not replayed {d.id}: not a CloudEvent, no consumer can take it "
                   "(cia dlq discard it)", err=True)
    if refused:
        raise SystemExit(1)


@dlq.command("discard")
@click.argument("idents", nargs=-1, required=True, metavar="TOPIC/PARTITION/OFFSET...")
@click.pass_context
def discard(ctx, idents: tuple[str, ...]) -> None:
    """Mark dead letters dealt with, without replaying them."""
    letters = _open(ctx)
    try:
        chosen = letters.find(list(idents))
        letters.mark_done(chosen)
    finally:
        letters.close()
    for d in chosen:
        click.echo(f"discarded {d.id}")


commands = [dlq]
