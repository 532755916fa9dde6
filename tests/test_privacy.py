"""Reports name no local path, user name, proxy host or NO_PROXY entry, and no kernel release (issue 9, item 6);
a signal while reports are written never loses them."""

from __future__ import annotations

import os
import platform
import signal
from pathlib import Path

from prober import sweep
from prober.report import Format
from tests.cli import prober

CATALOGUE = """\
version: 1
probes:
  - id: models
    description: a key probe that cannot connect (the proxy is a closed port)
    url: https://dashscope-intl.aliyuncs.com/api/v1/models
    auth: key
    tags: {region: intl, surface: api}
    source: test
"""


def test_reports_carry_no_paths_user_names_or_proxy_hosts(tmp_path: Path) -> None:
    home = tmp_path / "home" / "alice-private-user"
    home.mkdir(parents=True)
    key_file = home / "dashscope.key"
    key_file.write_text("sk-sp-" + "q" * 32 + "\n")
    catalogue = home / "my-probes.yaml"
    catalogue.write_text(CATALOGUE)
    jar = home / "alice-cookies.txt"
    jar.write_text(".alibabacloud.com\tTRUE\t/\tTRUE\t0\tlogin_aliyunid_pk\tprivacy-test-value-0001\n")
    out = tmp_path / "reports"
    every = ",".join(f.value for f in Format)  # every report form, the ticket included (issue 13)
    result = prober(
        "run",
        str(catalogue),
        "--key-file",
        str(key_file),
        "--cookies",
        str(jar),
        "--out",
        str(out),
        "--format",
        every,
        "--timeout",
        "3",
        "--fail-on",
        "none",
        env={
            "HTTPS_PROXY": "http://proxy-host.corp.internal:9",
            "NO_PROXY": "secret-intranet.corp.internal,10.1.2.3",
            "HOME": str(home),
        },
    )
    assert result.returncode in (0, 4), result.stderr
    texts = {p.name: p.read_text() for p in out.iterdir()}
    assert len(texts) == len(Format)
    report = next(p for p in out.iterdir() if p.name.endswith(".json"))
    for fmt in Format:  # and as `prober render` prints them
        texts[f"render --format {fmt.value}"] = prober("render", str(report), "--format", fmt.value).stdout
    for name, text in texts.items():
        for private in (
            str(tmp_path),
            "alice-private-user",
            "proxy-host.corp.internal",
            "secret-intranet",
            "10.1.2.3",
            platform.release(),
            "alice-cookies",
        ):
            assert private not in text, f"{private!r} in {name}"
    report_md = next(t for n, t in texts.items() if n.endswith(".md") and not n.endswith(".ticket.md"))
    assert "from file (`--key-file`)" in report_md and "`https_proxy` (http)" in report_md and "`no_proxy`" in report_md


def test_a_signal_while_reports_are_written_is_noted_not_fatal() -> None:
    with sweep.Deferred() as signals:
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)
        written = True  # reached: neither signal interrupted this block
    assert written and signals.received
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the previous handler is back
