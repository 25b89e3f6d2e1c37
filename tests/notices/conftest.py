"""A real SMTP server (aiosmtpd) and an HTTP SMS sink on loopback ports, per test."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mailbox:
    """What the SMTP server received; ``refuse`` maps an address to a 5xx/4xx answer."""

    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    on_data: Callable[[], None] | None = None  # called once a message is stored

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(
                (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        if self.on_data is not None:
            self.on_data()
        return "250 Message accepted"

    def parsed(self) -> list[EmailMessage]:
        return [
            message_from_bytes(raw, policy=policy.default)  # type: ignore[misc]
            for _, _, raw in self.messages
        ]


class SmtpServer:
    def __init__(self) -> None:
        self.box = Mailbox()
        self.port = free_port()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller = Controller(
            self.box, hostname="127.0.0.1", port=self.port, decode_data=False
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@dataclass
class SmsSink:
    url: str
    received: list[dict[str, Any]]


@pytest.fixture
def sms_sink() -> Iterator[SmsSink]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body.decode("utf-8")))
            self.send_response(202)
            self.end_headers()
            self.wfile.write(b'{"status": "queued"}')

        def log_message(self, *args: object) -> None:
            return None

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield SmsSink(f"http://127.0.0.1:{httpd.server_address[1]}/sms", received)
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def morning_url(demo_url: str) -> str:
    """The small demo as ``tournee demo`` leaves it: its morning played up to 07:00."""
    from sqlalchemy.orm import sessionmaker

    from data.db import make_engine
    from dispatch.demo_morning import play_morning
    from tests.builders import DEMO_DATE

    eng = make_engine(demo_url)
    with sessionmaker(bind=eng).begin() as s:
        play_morning(s, DEMO_DATE)
    eng.dispose()
    return demo_url
