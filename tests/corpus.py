"""The labelled corpus of personal data in CIA-like text, and its scoring.

``tests/fixtures/personal_data_corpus.txt`` holds sentences written as engagement
logs, community sentiment, risks and communications plans are, in blocks of one
CIA each, with every span of personal data marked ``[[label:text]]``. ``score``
runs the redaction pass over each block as a disclosure copy does (``collect``
over the whole block, then each sentence) and compares what it redacts with the
marks: a marked span is found when every letter and digit of it is redacted; a
redaction is right when it overlaps a marked span. Every redaction that overlaps
no mark counts against person-name precision, whichever detector made it.
Used by ``tests/unit/test_name_detection.py`` and ``bench/names.py``.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

CORPUS = Path(__file__).parent / "fixtures" / "personal_data_corpus.txt"
_MARK = re.compile(r"\[\[(person|child|address|other):(.+?)\]\]")
PERSON_LABELS = ("person", "child")


@dataclass
class Sentence:
    text: str
    spans: list[tuple[int, int, str]]  # (start, end, label)


@dataclass
class Block:
    title: str
    sentences: list[Sentence] = field(default_factory=list)


def parse(path: Path = CORPUS) -> list[Block]:
    blocks: list[Block] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            blocks.append(Block(line[3:].strip()))
        elif line.strip() and not line.startswith("#"):
            text, spans, pos = "", [], 0
            for m in _MARK.finditer(line):
                text += line[pos:m.start()]
                spans.append((len(text), len(text) + len(m.group(2)), m.group(1)))
                text += m.group(2)
                pos = m.end()
            text += line[pos:]
            blocks[-1].sentences.append(Sentence(text, spans))
    return blocks


@dataclass
class Report:
    sentences: int = 0
    found: Counter = field(default_factory=Counter)  # label -> marked spans found
    marked: Counter = field(default_factory=Counter)  # label -> marked spans
    right: int = 0  # redactions overlapping a mark
    wrong: list[str] = field(default_factory=list)  # redacted text overlapping no mark
    missed: list[tuple[str, str]] = field(default_factory=list)  # (label, text)

    def recall(self, *labels: str) -> float:
        marked = sum(self.marked[label] for label in labels)
        return sum(self.found[label] for label in labels) / marked if marked else 1.0

    @property
    def precision(self) -> float:
        total = self.right + len(self.wrong)
        return self.right / total if total else 1.0

    def summary(self) -> dict:
        return {"sentences": self.sentences,
                "person_recall": round(self.recall(*PERSON_LABELS), 4),
                "person_precision": round(self.precision, 4),
                "address_recall": round(self.recall("address"), 4),
                "child_missed": self.marked["child"] - self.found["child"],
                "other_recall": round(self.recall("other"), 4),
                "marked": dict(self.marked), "false_positives": len(self.wrong)}


def score(make_redactor, blocks: list[Block] | None = None) -> Report:
    """``make_redactor()`` gives a fresh redactor for each block (one copy each)."""
    report = Report()
    for block in blocks if blocks is not None else parse():
        redactor = make_redactor()
        redactor.collect([s.text for s in block.sentences])
        for sentence in block.sentences:
            report.sentences += 1
            redacted = [(s, e) for s, e, _ in redactor.spans(sentence.text)]
            covered = set()
            for s, e in redacted:
                covered.update(range(s, e))
            for start, end, label in sentence.spans:
                report.marked[label] += 1
                if all(i in covered for i in range(start, end) if sentence.text[i].isalnum()):
                    report.found[label] += 1
                else:
                    report.missed.append((label, sentence.text[start:end]))
            for s, e in redacted:
                if any(s < end and start < e for start, end, _ in sentence.spans):
                    report.right += 1
                else:
                    report.wrong.append(sentence.text[s:e])
    return report
