"""`prober replica --from REPORT.json`: the answers a sweep recorded, served again for the requests that produced
them (issue 15). Pure: reports in, answers out; prober/replica/server.py serves them over TLS.

Every hop of every outcome is one recording, found by its request signature (prober/recording.py: method, URL, the
credential and its header, the cookie names sent). A report holds no secret, so neither does a replay: the key,
token and cookies a replayed sweep sends only have to be of the same kinds. Where several recordings share a
signature, the request body decides (the probe's body with its placeholders as wildcards); the first report that
holds a recording answers, in the order it recorded them (a retried 429, then its retry), the last one repeating.
A request nothing recorded gets the replica's honest gap: 501, `x-replica: unmodelled`, "not recorded".
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from prober import capture, recording, urls
from prober.model import Hop, Outcome, Probe, Sweep
from prober.recording import Signature
from prober.redact import MASKED, REDACTED
from prober.replica.behaviours.common import JSON, Answer, Request

# The replay server frames the body itself: the recorded length and encoding describe the original bytes.
_FRAMING = frozenset({"content-length", "content-encoding", "content-type", "location"})


@dataclass(frozen=True, slots=True)
class Recording:
    """One recorded answer and the request it belongs to."""

    signature: Signature
    answer: Answer
    probe_id: str
    report: int  # which of the replayed reports holds it, in the order given
    body: re.Pattern[str] | None = None  # the request body the probe sent, placeholders as wildcards; None: any

    def fits(self, body: str) -> bool:
        return self.body is None or self.body.fullmatch(body) is not None


def _body_pattern(probe: Probe) -> re.Pattern[str] | None:
    if probe.body is None:
        return None
    text = probe.body.text
    pieces: list[str] = []
    start = 0
    spans = sorted(m.span() for pattern in (capture.PLACEHOLDER, capture.ENCODED) for m in pattern.finditer(text))
    for begin, end in spans:
        if begin < start:
            continue
        pieces += [re.escape(text[start:begin]), ".*?"]
        start = end
    pieces.append(re.escape(text[start:]))
    return re.compile("".join(pieces), re.DOTALL)


def _answer(hop: Hop, outcome: Outcome, last: bool) -> Answer:
    """What a hop recorded, as an answer: the outcome's body excerpt and content type belong to its last hop."""
    content_type = next((v for k, v in hop.headers if k.lower() == "content-type"), None)
    body = ""
    if last:
        content_type, body = outcome.content_type, outcome.body_excerpt
    headers = tuple((k, v) for k, v in hop.headers if k.lower() not in _FRAMING)
    if hop.location is not None:  # kept whole (up to the URL cap) where the header copy is capped shorter
        headers += (("Location", hop.location),)
    return Answer(status=hop.status, body=body, content_type=content_type, headers=headers, reason=hop.reason or None)


def recordings(sweep: Sweep, report: int = 0) -> list[Recording]:
    """Every hop of the sweep's outcomes as a recording, in the report's order."""
    found: list[Recording] = []
    for probe, outcome in zip(sweep.probes, sweep.outcomes, strict=True):
        body = _body_pattern(probe)
        for index, hop in enumerate(outcome.hops):
            last = index == len(outcome.hops) - 1 and outcome.status is not None and not outcome.klass.is_transport
            # The body went with the first request, and with a 307/308 that kept the method; withheld, it did not.
            sent_body = hop.method == probe.method and "body" not in hop.withheld
            found.append(
                Recording(
                    recording.of_hop(probe, hop),
                    _answer(hop, outcome, last),
                    probe.id,
                    report,
                    body if sent_body else None,
                )
            )
    return found


def _wild(signature: Signature) -> bool:
    return any(REDACTED in value or MASKED in value for _, value in signature.query)


@dataclass(slots=True)
class Replay:
    """The recordings of one or more reports, and how often each signature has been answered."""

    recorded: tuple[Recording, ...]
    hosts: frozenset[str]
    _exact: dict[Signature, list[Recording]] = field(default_factory=dict)
    _served: Counter[tuple[int, ...]] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        for item in self.recorded:
            self._exact.setdefault(item.signature, []).append(item)

    def answer(self, request: Request) -> Answer:
        wanted = recording.of_request(
            request.method, request.host, request.path, tuple(request.query.items()), request.headers, request.cookies
        )
        candidates = self._exact.get(wanted) or [
            r for r in self.recorded if _wild(r.signature) and r.signature.loosely(wanted)
        ]
        if not candidates:
            return not_recorded(wanted)
        fitting = [r for r in candidates if r.fits(request.body)] or candidates
        first = [r for r in fitting if r.report == fitting[0].report]
        key = tuple(id(r) for r in first)
        index = min(self._served[key], len(first) - 1)
        self._served[key] += 1
        return first[index].answer


def replay(sweeps: Sequence[Sweep], hosts: Iterable[str] = ()) -> Replay:
    """A replay of `sweeps` (the first one answering where several recorded the same request); its certificate
    covers every host the reports name and `hosts`, so a request the reports never made still gets an answer."""
    recorded = tuple(r for n, sweep in enumerate(sweeps) for r in recordings(sweep, n))
    named = {r.signature.host for r in recorded}
    named |= {urls.host(p.url) or "" for s in sweeps for p in s.probes}
    return Replay(recorded, frozenset(h for h in (*named, *hosts) if h))


def _credential(signature: Signature) -> str:
    if signature.credential == recording.NONE:
        return "no credential"
    if signature.credential == recording.CONSOLE_TOKEN:
        return "the console token"
    return f"the key in {signature.credential.split(':', 1)[1]}"


def not_recorded(signature: Signature) -> Answer:
    """The honest answer to a request no replayed report recorded: 501 and `x-replica: unmodelled`, which
    prober/vendor.py classifies `unmodelled`, never a server error. Cookie names only, never a value."""
    cookies = f" and cookies {', '.join(signature.cookies)}" if signature.cookies else ""
    # The credential first: the explanation quoting this is cut at 90 characters (prober/vendor.py _said).
    where = f"{signature.method} {signature.host}{signature.path}"
    detail = f"not recorded with {_credential(signature)}{cookies}: no replayed report answers {where}"
    body = {"replica": "not recorded", "detail": detail, "message": detail}
    return Answer(501, json.dumps(body), JSON, (("x-replica", "unmodelled"), ("x-replica-behaviour", "not-recorded")))
