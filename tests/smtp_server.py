"""A real SMTP server for the e-mail tests: aiosmtpd on 127.0.0.1, in a thread of its own.

    with smtp_server(tls="starttls", users={"groundswell": "secret"}) as server:
        ... send to server.host:server.port, trusting server.ca_file ...
        server.handler.messages  # what it accepted: envelope and raw bytes

TLS uses a certificate the tests make (``cryptography``): a self-signed one for
``localhost`` and ``127.0.0.1``, written to a PEM file the client is told to trust
(``GROUNDSWELL_SMTP_CA_FILE``). ``handler.script`` makes the server refuse: each entry is
``(stage, reply)`` with stage ``rcpt`` or ``data``, used once, in order.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import tempfile
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool
    login: str | None


@dataclass
class RecordingHandler:
    messages: list[Received] = field(default_factory=list)
    script: deque[tuple[str, str]] = field(default_factory=deque)
    logins: list[tuple[str, bool]] = field(default_factory=list)

    def _scripted(self, stage: str) -> str | None:
        if self.script and self.script[0][0] == stage:
            return self.script.popleft()[1]
        return None

    async def handle_RCPT(
        self, server: SMTP, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if (reply := self._scripted("rcpt")) is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        if (reply := self._scripted("data")) is not None:
            return reply
        login = (
            session.auth_data.login.decode()
            if session.authenticated and session.auth_data
            else None
        )
        self.messages.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                bytes(envelope.original_content or envelope.content),
                server.transport.get_extra_info("ssl_object") is not None,
                login,
            )
        )
        return "250 2.0.0 Message accepted for delivery"


@dataclass(frozen=True)
class Certificate:
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def make_certificate(directory: Path) -> Certificate:
    """A self-signed certificate for localhost and 127.0.0.1, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Groundswell test mail server")])
    moment = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(moment - datetime.timedelta(minutes=5))
        .not_valid_after(moment + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(cert_file, key_file)


class _AnyPortController(Controller):
    """aiosmtpd's Controller on a port the system chooses (port 0), read back once bound."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class RunningServer:
    host: str
    port: int
    handler: RecordingHandler
    ca_file: str
    tls: str


@contextmanager
def smtp_server(
    *,
    tls: str = "starttls",
    users: dict[str, str] | None = None,
    auth_required: bool = False,
    certificate: Certificate | None = None,
) -> Iterator[RunningServer]:
    """tls: "starttls" (offered and required before MAIL), "tls" (implicit) or "none"."""
    directory = Path(tempfile.mkdtemp(prefix="groundswell-smtp-"))
    certificate = certificate or make_certificate(directory)
    handler = RecordingHandler()
    users = users or {}

    def authenticator(
        server: SMTP, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and users.get(auth_data.login.decode()) == auth_data.password.decode()
        )
        handler.logins.append((auth_data.login.decode(), ok))
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    kwargs: dict[str, Any] = {
        "hostname": "127.0.0.1",
        "port": 0,
        "server_hostname": "mail.groundswell.test",
        "authenticator": authenticator,
        "auth_required": auth_required,
        # aiosmtpd offers AUTH "after TLS" only after STARTTLS: on an implicit-TLS connection
        # every byte is already encrypted.
        "auth_require_tls": tls != "tls",
        "ready_timeout": 10.0,
    }
    if tls == "starttls":
        kwargs["tls_context"] = certificate.server_context()
        kwargs["require_starttls"] = True
    elif tls == "tls":
        kwargs["ssl_context"] = certificate.server_context()
    controller = _AnyPortController(handler, **kwargs)
    controller.start()
    try:
        yield RunningServer("127.0.0.1", controller.port, handler, str(certificate.cert_file), tls)
    finally:
        controller.stop()
