"""The redactor: every common re-encoding of a secret is found, ordinary words never are, and the cost of a scrub does
not depend on how many secrets are known."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Callable
from urllib.parse import quote, quote_plus, unquote

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from prober.redact import (
    _EMAIL,
    _FIELD,
    _KEY_SHAPE,
    MASKED,
    PERSONAL_FIELDS,
    REDACTED,
    Redactor,
    Secret,
    _mask,
    normalise,
    personal,
    secret_like,
    shape,
)
from tests.counting import calls

KEY = "sk-sp-0123456789abcdefABCDEF0123456789"
COOKIE = "Ab3d+Ef9h/Ij=Kl&Mn?Op"  # a cookie value with every character URL and JSON encoders touch


def _b64(prefix: bytes, value: str, alphabet: Callable[[bytes], bytes] = base64.b64encode) -> str:
    return alphabet(prefix + value.encode() + b"tail").decode()


ENCODINGS: dict[str, Callable[[str], str]] = {
    "raw": lambda s: s,
    "percent": lambda s: quote(s, safe=""),
    "percent-lower": lambda s: "".join(f"%{b:02x}" for b in s.encode()),
    "percent-mixed": lambda s: "".join(f"%{ord(c):02X}" if n % 2 else c for n, c in enumerate(s)),
    "form": quote_plus,
    "json": lambda s: json.dumps(s)[1:-1],
    "json-slash": lambda s: s.replace("/", "\\/"),
    "json-u-upper": lambda s: "".join(c if c.isalnum() else f"\\u{ord(c):04X}" for c in s),
    "json-u-lower": lambda s: "".join(c if c.isalnum() else f"\\u{ord(c):04x}" for c in s),
    "html": html.escape,
    "html-decimal": lambda s: "".join(f"&#{ord(c)};" for c in s),
    "html-hex": lambda s: "".join(f"&#x{ord(c):X};" for c in s),
    "html-named": lambda s: s.replace("&", "&amp;").replace("/", "&sol;").replace("=", "&equals;"),
    "base64-0": lambda s: _b64(b"", s),
    "base64-1": lambda s: _b64(b"x", s),
    "base64-2": lambda s: _b64(b"xy", s),
    "base64url-1": lambda s: _b64(b"x", s, base64.urlsafe_b64encode),
    "base64url-2": lambda s: _b64(b"xy", s, base64.urlsafe_b64encode),
    "form-decoded": lambda s: s.replace("+", " "),
}


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("secret", [KEY, COOKIE])
def test_every_common_encoding_of_a_secret_is_scrubbed(secret: str, encoding: str) -> None:
    echoed = ENCODINGS[encoding](secret)
    out = Redactor([Secret(COOKIE)], trusted=[Secret(KEY)]).text(f"before {echoed} after")
    assert REDACTED in out
    assert out.startswith("before ") and out.endswith(" after")
    for form in ENCODINGS.values():
        inner = form(secret)
        if encoding.startswith("base64"):  # the edges of a base64 run mix in the neighbouring bytes
            inner = inner[4:-8]
        assert inner not in out


def test_a_percent_encoded_cookie_value_is_found_decoded_too() -> None:
    stored = "tkt%3DAbC%2F12%2BxYz"  # browsers store many cookie values percent-encoded
    r = Redactor([Secret(stored)])
    assert r.text(f"echo {unquote(stored)} end") == f"echo {REDACTED} end"
    assert r.text(f"echo {stored} end") == f"echo {REDACTED} end"
    assert r.text(f"echo {quote(stored, safe='')} end") == f"echo {REDACTED} end"  # encoded once more


@pytest.mark.parametrize(
    "word", ["console", "cn-beijing", "aliyuncs", "ap-southeast-1", "1700000000", "INTL", "en-US", "bailian"]
)
def test_ordinary_words_are_never_secrets(word: str) -> None:
    assert not secret_like(word)
    text = f"https://{word}.console.aliyun.com/{word} class {word}"
    assert Redactor([Secret(word)]).text(text) == text


@pytest.mark.parametrize("value", ["a3f9c2d1e5b7", "Ab+cd/ef=", "0e6b5b0c-6e53-4b6f-9c1e-3f0e2a9d7c41", COOKIE])
def test_credential_shaped_values_are_secrets(value: str) -> None:
    assert secret_like(value)


def test_given_credentials_are_secrets_whatever_their_shape() -> None:
    assert Redactor(trusted=["lowercaseonlykey"]).text("x lowercaseonlykey y") == f"x {REDACTED} y"
    assert Redactor(["lowercaseonlykey"]).text("x lowercaseonlykey y") == "x lowercaseonlykey y"


def test_key_shaped_strings_are_scrubbed_even_when_never_given() -> None:
    assert Redactor().text("sk-ws-unknownKeyThatWeWereNeverToldAbout123") == REDACTED
    assert Redactor().text("sk-learn stays") == "sk-learn stays"


def test_messages_lose_short_passwords_and_any_url_user_info() -> None:
    r = Redactor(trusted=["pw12"])
    assert r.message("407 from proxy: pw12 refused") == f"407 from proxy: {REDACTED} refused"
    assert r.message("http://bob:p#s/w@proxy:3128/") == f"http://{REDACTED}@proxy:3128/"
    assert Redactor(["pw12"]).text("pw12") == "pw12"  # server text: too short to be matched


def test_a_match_partly_inside_an_escape_removes_the_whole_escape() -> None:
    r = Redactor(trusted=["Secret/Value1"])
    assert r.text('{"v":"Secret\\u002fValue1\\n"}') == f'{{"v":"{REDACTED}\\n"}}'


def test_normalise_decodes_each_escape_once() -> None:
    assert normalise("%2541 \\u0041 &amp;lt; &#65;") == "%41 A &lt; A"


@given(st.text(max_size=40), st.text(max_size=40), st.sampled_from(sorted(ENCODINGS)))
def test_a_secret_never_survives_in_any_context(prefix: str, suffix: str, encoding: str) -> None:
    out = Redactor([Secret(COOKIE)], trusted=[KEY]).text(prefix + ENCODINGS[encoding](KEY) + suffix)
    assert KEY not in out and quote(KEY, safe="") not in out


def test_personal_fields_and_email_addresses_are_masked() -> None:
    text = '{"data":{"loginId":"alice","nickName":"Al \\"A\\"","aliyunPK":1234567890123,"secToken":"keep"}} bob@corp.cn'
    assert personal(text) == (
        f'{{"data":{{"loginId":"{MASKED}","nickName":"{MASKED}","aliyunPK":"{MASKED}","secToken":"keep"}}}} {MASKED}'
    )
    assert json.loads(personal('{"aliyunPK": 1234}')) == {"aliyunPK": MASKED}  # JSON stays JSON


def test_scrubbing_costs_the_same_with_3000_secrets_as_with_3() -> None:
    """Finding 8: one alternation of every secret made a browser-sized jar cost minutes. The automaton's cost is
    one pass over the text whatever the number of secrets (counted in calls, not timed)."""
    few = [f"Cookie{n:04d}Value+x" for n in range(3)]
    many = [f"Cookie{n:04d}Value+x" for n in range(3000)]
    text = ("ordinary text with an echo Cookie0001Value+x and %2F escapes \\u0041 " * 400)[:20000]
    small, big = Redactor(few), Redactor(many)
    assert small.text(text) == big.text(text)  # also builds both automatons before counting
    assert calls(lambda: big.text(text)) == calls(lambda: small.text(text))


def test_secret_repr_never_shows_the_value() -> None:
    s = Secret(KEY)
    assert KEY not in repr(s) and KEY not in str(s) and KEY not in f"{s}" and KEY not in repr([s])


@pytest.mark.parametrize(
    ("key", "prefix"),
    [
        (KEY, "sk-sp-"),
        ("sk-ws-" + "a" * 109, "sk-ws-"),
        ("sk-" + "b" * 32, "sk-"),
        ("custom-token-value-42", "other"),
    ],
)
def test_key_shape_shows_prefix_class_length_and_hash_only(key: str, prefix: str) -> None:
    s = shape(key)
    assert (s.prefix, s.length) == (prefix, len(key))
    described = s.describe()
    body = key[len(prefix) :] if prefix != "other" else key
    assert body not in described
    assert s.fingerprint.startswith("sha256:") and len(s.fingerprint) == 17


# --- the quick paths give what the full patterns give ----------------------------------------------------------

_PIECES = st.sampled_from(
    [
        *PERSONAL_FIELDS,
        *(f.upper() for f in PERSONAL_FIELDS),
        '"',
        "'",
        ":",
        "=",
        " ",
        "@",
        "a@b.example",
        "123",
        "sk-",
        "sk-" + "A1b2" * 6,
        "x",
        "\u212a",  # the Kelvin sign: IGNORECASE folds it to k (`nic\u212a` is a field name to the pattern)
        "\u017f",  # the long s, folded to s
        "u\u017ferName",  # userName to the pattern, though lower() leaves the long s as it is
    ]
)


@given(st.lists(_PIECES, max_size=12).map("".join))
@example('"u\u017ferName": 123')
@example('"NIC\u212a": "x"')
def test_personal_masks_exactly_what_its_patterns_match(text: str) -> None:
    assert personal(text) == _EMAIL.sub(MASKED, _FIELD.sub(_mask, text))


@given(st.lists(_PIECES, max_size=12).map("".join))
def test_key_shapes_are_scrubbed_with_or_without_the_quick_check(text: str) -> None:
    scrubbed = Redactor().text(text)
    assert not _KEY_SHAPE.search(scrubbed)
    assert scrubbed == _KEY_SHAPE.sub(REDACTED, text)
