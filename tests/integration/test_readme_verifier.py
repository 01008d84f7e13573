"""The README's verifier walk-through (jwcrypto) runs as written against the app: it accepts a
fresh credential, reports a revoked one as revoked, and refuses one whose payload was altered."""

from __future__ import annotations

import contextlib
import io
import re
import urllib.request
from pathlib import Path

import pytest

from tests.integration.test_certificates import take

README = Path(__file__).resolve().parents[2] / "README.md"


def walkthrough() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- verifier-walkthrough -->\n```python\n(.*?)```", text, re.S)
    assert match, "the README lost its verifier walk-through"
    return match.group(1)


class _Reply(io.BytesIO):
    pass


def run(client, monkeypatch, code: str, tamper=None) -> str:
    """Run the README block with its URLs answered by the test client."""

    def urlopen(url):
        path = url.removeprefix("https://exams.example.test")
        assert path != url, url
        body = client.get(path).get_data()
        if tamper and path.endswith("/credential"):
            body = tamper(body)
        return contextlib.closing(_Reply(body))

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    source = walkthrough().replace("https://exams.example.edu", "https://exams.example.test")
    source = source.replace("ABCD-EFGH-2345", code)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(source, "README.md", "exec"), {})  # noqa: S102 - the README's own code
    return printed.getvalue().strip()


def test_the_readme_walkthrough_verifies_fresh_and_revoked(app, banks, make_user, login, runner, monkeypatch):
    session = login(make_user("trainee", name="Vera Fier"))
    code = take(app, session, correct=True)["certificate"]["code"]
    assert (
        run(session.client, monkeypatch, code)
        == "Vera Fier: Implementation manager certificate of competency, valid"
    )
    assert runner.invoke(args=["certificates", "revoke", code, "--reason", "Misconduct"]).exit_code == 0
    assert run(session.client, monkeypatch, code).endswith(", revoked")


def test_the_readme_walkthrough_refuses_an_altered_credential(app, banks, make_user, login, monkeypatch):
    from jwcrypto.jws import InvalidJWSSignature

    session = login(make_user("trainee"))
    code = take(app, session, correct=True)["certificate"]["code"]

    def tamper(body: bytes) -> bytes:
        head, payload, signature = body.decode().split(".")
        return ".".join(
            [head, payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB"), signature]
        ).encode()

    with pytest.raises(InvalidJWSSignature):
        run(session.client, monkeypatch, code, tamper)
