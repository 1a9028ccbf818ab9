"""Failure alerts by e-mail (SMTP) and Slack (incoming webhook), configured from the environment.

``AlertsResource.send(subject, text)`` delivers to every configured channel and reports which
ones failed instead of raising, so one broken channel never hides the alert from the other.
"""

import smtplib
from email.message import EmailMessage

import dagster as dg
import requests

from resources.model.secrets import mask_text


class AlertsResource(dg.ConfigurableResource):
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    mail_from: str = "weir@localhost"
    mail_to: str | None = None  # comma-separated
    slack_webhook_url: str | None = None
    timeout_s: float = 10.0

    def channels(self) -> list[str]:
        return [
            name
            for name, on in (
                ("email", self.smtp_host and self.mail_to),
                ("slack", self.slack_webhook_url),
            )
            if on
        ]

    def _shown(self, error: Exception) -> str:
        """An error as it may be logged: without the webhook's secret path or the SMTP password
        (requests names the URL it could not reach)."""
        return mask_text(str(error), [s for s in (self.slack_webhook_url, self.smtp_password) if s])

    def send(self, subject: str, text: str) -> dict[str, str]:
        """Deliver to each channel; returns {channel: "sent" | "failed: <reason>"}."""
        outcome = {}
        if self.smtp_host and self.mail_to:
            try:
                message = EmailMessage()
                message["Subject"], message["From"], message["To"] = (
                    subject,
                    self.mail_from,
                    self.mail_to,
                )
                message.set_content(text)
                with smtplib.SMTP(self.smtp_host, self.smtp_port, timeout=self.timeout_s) as smtp:
                    if self.smtp_user:
                        smtp.starttls()
                        smtp.login(self.smtp_user, self.smtp_password or "")
                    smtp.send_message(message)
                outcome["email"] = "sent"
            except (OSError, smtplib.SMTPException) as exc:
                outcome["email"] = f"failed: {self._shown(exc)}"
        if self.slack_webhook_url:
            try:
                response = requests.post(
                    self.slack_webhook_url,
                    json={"text": f"*{subject}*\n{text}"},
                    timeout=self.timeout_s,
                )
                outcome["slack"] = "sent" if response.ok else f"failed: HTTP {response.status_code}"
            except requests.RequestException as exc:
                outcome["slack"] = f"failed: {self._shown(exc)}"
        return outcome
