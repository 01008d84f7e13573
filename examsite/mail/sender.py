"""Sending one message over SMTP (MAIL_SERVER, MAIL_PORT, MAIL_DEFAULT_SENDER, optional
MAIL_USERNAME/MAIL_PASSWORD and MAIL_USE_TLS for STARTTLS)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage


class MailError(Exception):
    """Sending failed; the message stays in the outbox for a later try."""


@dataclass(frozen=True)
class SmtpSender:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config) -> SmtpSender | None:
        """None when MAIL_SERVER is not set: messages wait in the outbox."""
        if not config.get("MAIL_SERVER"):
            return None
        return cls(
            host=config["MAIL_SERVER"],
            port=int(config.get("MAIL_PORT") or 25),
            sender=config["MAIL_DEFAULT_SENDER"],
            username=config.get("MAIL_USERNAME") or None,
            password=config.get("MAIL_PASSWORD") or None,
            starttls=bool(config.get("MAIL_USE_TLS")),
        )

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"{type(exc).__name__}: {exc}") from exc
