"""A browser's HAR -> catalogue entries for `prober learn` (issue 15). Pure, but for `files` (the package's I/O).

`har` reads the HAR and says which requests are kept (documents, XHR and fetch to Alibaba's domains) and why the
rest are not; `chain` turns each kept request into a draft probe and links them by what they capture. Here the drafts
get their ids, `expect:` (with `--expect-observed`), tags and source, and become YAML that `prober check` accepts.
No value of a cookie, key, token or captured field reaches the text: credentials become `auth:`, captured values
placeholders, and a last pass scrubs any that is left (prober/redact.py) before the text exists.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml

from prober import quota, scope, shapes, vendor
from prober.learn import chain, har
from prober.learn.chain import Chains, Draft
from prober.learn.har import Entry, HarError
from prober.model import BodyKind, Hop, Probe
from prober.redact import Redactor

__all__ = ["HarError", "Learned", "indent_of", "learn", "render", "summary"]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ID_MAX = 80


@dataclass(frozen=True, slots=True)
class Learned:
    """What a HAR taught: the new catalogue entries, and the counts the terminal summary gives."""

    probes: tuple[dict[str, Any], ...]
    requests: int  # requests in the HAR
    dropped: Counter[str]  # why the others were left out, by reason
    links: tuple[tuple[str, str, str], ...]  # (capture name, from probe, to probe)
    noise: int  # cache busters dropped and trace ids or timestamps made stable
    left_out: int  # credential values sent where no earlier probe could supply them
    scrubbed: int  # values the last pass had to scrub
    secrets: tuple[str, ...]  # every credential value the HAR held: for the caller's redactor, never printed
    date: str


def _api(query: Sequence[tuple[str, str]], form: Sequence[tuple[str, str]]) -> str:
    """The console API a gateway call runs: `api` or `action` in the query or form, or params.Api."""
    fields = {**dict(form), **dict(query)}
    for name in ("api", "action"):
        if fields.get(name, "").strip():
            return fields[name].strip()
    try:
        params = json.loads(fields.get("params", ""))
    except ValueError:
        return ""
    api = params.get("Api") if isinstance(params, dict) else None
    return api.strip() if isinstance(api, str) else ""


def _slug(text: str) -> str:
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9]+", "-", text.lower())).strip("-")


def _id(entry: Entry, api: str, taken: set[str]) -> str:
    """`<method>-<host less its site>-<path>-<api's last word>`: e.g. post-bailian-cs-console-data-api-json-query…"""
    site = scope.registrable(entry.host)
    label = entry.host[: -len(site)].rstrip(".") if site and entry.host.endswith(site) else entry.host
    words = [entry.method if entry.method != "GET" else "", label or site, entry.path, api.rsplit(".", maxsplit=1)[-1]]
    base = _slug("-".join(w for w in words if w))[:_ID_MAX].strip("-") or "learned"
    ident, n = base, 2
    while ident in taken:
        ident, n = f"{base}-{n}", n + 1
    taken.add(ident)
    return ident


def _body(draft: Draft, entry: Entry) -> tuple[int, str]:
    """Fill the draft's form or JSON body from the request; the noise made stable, and a note for a body of
    another kind (the catalogue sends JSON and forms only)."""
    if entry.body is None or entry.method in ("GET", "HEAD"):
        return 0, ""
    kind = entry.body_type.lower()
    noise = 0
    if "x-www-form-urlencoded" in kind:
        draft.form = []
        for name, value in parse_qsl(entry.body, keep_blank_values=True):
            document = _document(value)
            if document is not None:
                document, count = chain.stable(document)
                noise += count
                draft.form.append([name, document])
            else:
                draft.form.append([name, value])
        return noise, ""
    document = _document(entry.body) if "json" in kind or not kind else None
    if document is None:
        return 0, f"; its {kind or 'untyped'} body is not learned (the catalogue sends JSON and forms)"
    document, noise = chain.stable(document)
    if isinstance(document, dict):
        draft.json_items = [[k, v] for k, v in document.items()]
    else:
        draft.json_other = document
    return noise, ""


def _document(text: str) -> Any:
    """A JSON object or list, else None (a form field holding `{...}` is sent as a JSON string by the catalogue)."""
    if not text.strip().startswith(("{", "[")):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict | list) else None


def _tags(host: str) -> dict[str, str]:
    region = (
        "cn"
        if scope.within(host, ("aliyun.com",))
        else "intl"
        if scope.within(host, ("alibabacloud.com",))
        else "global"
    )
    console = "console" in host or host.split(".", maxsplit=1)[0].endswith("-cs")
    return {"region": region, "surface": "console" if console else "api"}


def _expect(entry: Entry) -> dict[str, Any] | None:
    """What the HAR saw, as the classifier would read it (prober/vendor.py): the status and the class."""
    if not entry.status:
        return None
    location = next((v for n, v in entry.response_headers if n.lower() == "location"), None)
    hop = Hop(entry.method, entry.url, entry.status, "", location=location)
    error = shapes.parse_error(entry.status, entry.response_type, entry.response_text)
    found = quota.parse(entry.response_text) if entry.status < 300 else None
    klass, _ = vendor.classify(entry.status, (hop,), error, found)
    return {"status": [entry.status], "class": klass.value}


def _date(entries: Sequence[Entry], today: str) -> str:
    found = next((e.started[:10] for e in entries if _DATE.match(e.started[:10])), None)
    return found or today


def learn(data: Any, *, today: str, existing: Sequence[Probe] = (), expect_observed: bool = False) -> Learned:
    """Learn catalogue entries from a parsed HAR document. `existing`: the probes of the catalogue they will be
    appended to; a request one of them already makes is not learned again, and no id is taken twice."""
    entries = har.entries(data)
    date = _date(entries, today)
    dropped: Counter[str] = Counter()
    taken = {p.id for p in existing}
    seen: set[tuple[str, str, str, str]] = set()
    drafts: list[Draft] = []
    secrets: list[str] = []
    noise = 0
    notes: dict[str, str] = {}
    for entry in entries:
        secrets += chain.credentials(entry)
        reason = har.dropped(entry)
        form = parse_qsl(entry.body or "", keep_blank_values=True) if "form" in entry.body_type.lower() else []
        key = (entry.method, entry.host, entry.path, _api(entry.query, form))
        if reason is None and key in seen:
            reason = har.REPEAT
        if reason is not None:
            dropped[reason] += 1
            continue
        seen.add(key)
        draft = Draft(entry, _id(entry, key[3], taken), key, chain.auth_of(entry))
        draft.query, busters = chain.kept_query(entry)
        draft.headers = chain.kept_headers(entry)
        found, notes[draft.id] = _body(draft, entry)
        noise += busters + found
        drafts.append(draft)
    chains = Chains(set())
    known_secrets = set(secrets)
    answers = [(e.response_text, *(v for _, v in (*e.response_headers, *e.set_cookies))) for e in entries]

    def delivered(value: str) -> bool:
        return any(value in text for texts in answers for text in texts)

    for n, draft in enumerate(drafts):
        chains.link(draft, drafts[:n], known_secrets, delivered)
    drafts = _new(drafts, existing, dropped)
    redactor = Redactor(secrets, trusted=[*chains.values, *_given(drafts)])
    scrubbed = 0

    def clean(value: Any) -> Any:
        nonlocal scrubbed
        if isinstance(value, str):
            kept = redactor.text(value)
            scrubbed += kept != value
            return kept
        if isinstance(value, dict):
            return {clean(k): clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    probes = tuple(clean(_entry(d, date, notes[d.id], expect_observed)) for d in drafts)
    return Learned(
        probes=probes,
        requests=len(entries),
        dropped=dropped,
        links=tuple(link for link in chains.links if link[2] in {d.id for d in drafts}),
        noise=noise,
        left_out=sum(d.left_out for d in drafts),
        scrubbed=scrubbed,
        secrets=tuple(dict.fromkeys([*secrets, *chains.values])),
        date=date,
    )


def _key(probe: Probe) -> tuple[str, str, str, str]:
    parts = urlsplit(probe.url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    form = parse_qsl(probe.body.text, keep_blank_values=True) if probe.body and probe.body.kind is BodyKind.FORM else []
    return probe.method, (parts.hostname or "").lower(), parts.path or "/", _api(query, form)


def _new(drafts: list[Draft], existing: Sequence[Probe], dropped: Counter[str]) -> list[Draft]:
    """The drafts the catalogue does not make already, and those a new one needs (under an id of their own)."""
    known = {_key(p) for p in existing}
    kept: list[Draft] = []
    needed: set[str] = set()
    for draft in reversed(drafts):  # needs point back: a probe is needed only by those after it
        if draft.key in known and draft.id not in needed:
            dropped[har.ALREADY] += 1
            continue
        kept.append(draft)
        needed.update(draft.needs)
    return kept[::-1]


def _given(drafts: Iterable[Draft]) -> list[str]:
    """The key and token values the requests carried: secrets whatever their shape."""
    values = []
    for draft in drafts:
        for name, value in draft.entry.headers:
            if name.lower() in ("authorization", "x-api-key", "x-dashscope-api-key"):
                values += [value, value.split(" ", 1)[-1]]
    return values


def _items(items: list[list[Any]] | None) -> dict[str, Any]:
    """[name, value] items as a mapping; an item whose value was left out (None) is not written."""
    found: dict[str, Any] = {}
    for name, value in items or []:
        if value is not None:
            found.setdefault(str(name), value)
    return found


def _entry(draft: Draft, date: str, note: str, expect_observed: bool) -> dict[str, Any]:
    entry = draft.entry
    method, host, path, api = draft.key
    what = f"{method} {host}{path}" + (f" ({api.split('.')[-1]})" if api else "")
    probe: dict[str, Any] = {
        "id": draft.id,
        "description": f"{what} as the browser sent it, learned from a HAR of {date}{note}",
        "method": method,
        "url": entry.url,
    }
    if draft.query:
        probe["query"] = _items(draft.query)
    if draft.headers:
        probe["headers"] = _items(draft.headers)
    if draft.form is not None:
        probe["body"] = {"form": _items(draft.form)}
    elif draft.json_items is not None:
        probe["body"] = {"json": _items(draft.json_items)}
    elif draft.json_other is not None:
        probe["body"] = {"json": draft.json_other}
    if draft.auth is not None:
        probe["auth"] = draft.auth
    if draft.captures:
        probe["capture"] = draft.captures
    if draft.needs:
        probe["needs"] = list(draft.needs)
    if expect_observed and (expected := _expect(entry)) is not None:
        probe["expect"] = expected
    probe["tags"] = _tags(host)
    probe["source"] = f"learned from a HAR of {date} (prober learn): {what}"
    return probe


def render(learned: Learned, indent: str | None = None) -> str:
    """The learned probes as YAML: a whole catalogue, or with `indent` the list items to append to the `probes:`
    list of an existing one (indented as its items are)."""
    head = f"# {len(learned.probes)} probes learned by `prober learn` from a HAR of {learned.date}"
    dumped = yaml.safe_dump(
        list(learned.probes), sort_keys=False, allow_unicode=True, width=4096, default_flow_style=False
    )
    lines = dumped.splitlines() if learned.probes else []
    if indent is not None:
        return "".join(f"{indent}{line}\n" for line in [head, *lines])
    if not lines:
        return f"{head}\nversion: 1\nprobes: []\n"
    return f"{head}\nversion: 1\nprobes:\n" + "".join(f"  {line}\n" for line in lines)


def indent_of(catalogue: str) -> str:
    """How a catalogue indents its `probes:` items (`  - id: ...`), so appended entries line up with them."""
    found = re.search(r"^([ \t]*)- id:", catalogue, re.MULTILINE)
    return found.group(1) if found else "  "


def summary(learned: Learned, where: str) -> list[str]:
    """What the terminal says: how many were learned and left out and why, and the capture chains (names only)."""
    lines = [
        f"learned {len(learned.probes)} probes from {learned.requests} requests (HAR of {learned.date}) -> {where}"
    ]
    if learned.dropped:
        reasons = ", ".join(f"{n} {reason}" for reason, n in learned.dropped.most_common())
        lines.append(f"  left out {sum(learned.dropped.values())}: {reasons}")
    for name, source, target in dict.fromkeys(learned.links):
        lines.append(f"  capture {name}: {source} -> {target}")
    if learned.noise:
        lines.append(
            f"  per-request noise: {learned.noise} cache busters, trace ids or timestamps dropped or made stable"
        )
    if learned.left_out:
        lines.append(f"  {learned.left_out} credential values sent where no earlier request supplies them: left out")
    if learned.scrubbed:
        lines.append(f"  {learned.scrubbed} values held a secret and were scrubbed")
    return lines
