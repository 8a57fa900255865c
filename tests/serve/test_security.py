"""Token, TLS, localhost by default; bad requests refused clearly while the server carries on."""

from __future__ import annotations

import json
import logging

import pytest
from pyarrow import flight

from marketlake.errors import ConfigError, FlightAuthError, FlightUnavailableError, TicketError
from marketlake.serve import RunningServer, ServeConfig
from marketlake.serve.client import FlightClient
from marketlake.settings import Settings
from tests.serve.certs import CertificatePair
from tests.serve.conftest import TOKEN

DAY = ("um", "BTCUSDT", 60, 0, "2024-01-02", "2024-01-03")


def test_the_default_address_is_localhost_only(lake_settings: Settings) -> None:
    assert ServeConfig(lake_settings).location == "grpc+tcp://127.0.0.1:8815"


def test_without_a_token_calls_are_refused(token_server: RunningServer) -> None:
    with FlightClient("127.0.0.1", token_server.port) as anonymous:
        calls = (
            anonymous.ping,
            anonymous.list_available_data,
            lambda: anonymous.get_schema("um/klines/1m"),
            lambda: anonymous.get_symbol(*DAY),
            lambda: anonymous.ready("um"),
        )
        for call in calls:
            with pytest.raises(FlightAuthError, match="needs a bearer token"):
                call()


def test_a_wrong_token_is_refused_and_the_right_one_reads(token_server: RunningServer) -> None:
    wrong = FlightClient("127.0.0.1", token_server.port, token="guess")
    with wrong, pytest.raises(FlightAuthError):
        wrong.get_symbol(*DAY)
    with FlightClient("127.0.0.1", token_server.port, token=TOKEN) as right:
        assert right.get_symbol(*DAY).height == 24
        assert right.ping().version


def test_a_raw_client_without_the_header_is_refused(token_server: RunningServer) -> None:
    raw = flight.connect(f"grpc+tcp://127.0.0.1:{token_server.port}")
    with pytest.raises(flight.FlightUnauthenticatedError):
        list(raw.list_flights())
    headers = [(b"authorization", f"Bearer {TOKEN}".encode())]
    listed = list(raw.list_flights(options=flight.FlightCallOptions(headers=headers)))
    assert len(listed) == 6
    raw.close()


def test_tls_with_a_self_signed_certificate(
    tls_server: RunningServer, certificate: CertificatePair
) -> None:
    assert tls_server.uri.startswith("grpc+tls://127.0.0.1:")
    with FlightClient(
        "127.0.0.1", tls_server.port, token=TOKEN, tls=True, tls_root_certs=certificate.cert
    ) as trusted:
        assert trusted.get_symbol(*DAY).height == 24
    plaintext = FlightClient("127.0.0.1", tls_server.port, token=TOKEN, timeout=5)
    with plaintext, pytest.raises(FlightUnavailableError):
        plaintext.ping()
    untrusted = FlightClient("127.0.0.1", tls_server.port, token=TOKEN, tls=True, timeout=5)
    with untrusted, pytest.raises(FlightUnavailableError):
        untrusted.ping()


def test_tls_needs_both_files(lake_settings: Settings, certificate: CertificatePair) -> None:
    with pytest.raises(ConfigError, match="both --tls-cert and --tls-key"):
        ServeConfig(lake_settings, tls_cert=certificate.cert)


@pytest.mark.parametrize(
    ("ticket", "message"),
    [
        (b"SELECT * FROM klines; DROP TABLE x", "not UTF-8 JSON"),
        (b'{"v": 1, "kind": "symbol", "market": "um"}', 'needs "symbol"'),
        (b'{"v": 1, "kind": "exginfo", "market": "um", "path": "/etc"}', "unknown ticket field"),
        (b'{"v": 1, "kind": "symbol", "market": "um", "symbol": "_X", "interval": 1}', "symbol"),
        (b'{"v": 1, "kind": "market", "market": "um", "interval": "7w", "offset": "9w"}', "offset"),
        (b"{" + b" " * 70_000 + b"}", "limit"),
    ],
)
def test_bad_tickets_get_a_clear_error_and_the_server_carries_on(
    server: RunningServer, ticket: bytes, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="marketlake.serve")
    raw = flight.connect(f"grpc+tcp://127.0.0.1:{server.port}")
    with pytest.raises(flight.FlightServerError) as refused:
        raw.do_get(flight.Ticket(ticket)).read_all()
    assert message in str(refused.value)
    assert "Traceback" not in str(refused.value)
    assert json.loads(refused.value.extra_info) == {"code": "invalid_argument"}
    with pytest.raises(flight.FlightServerError, match="unknown action 'shutdown'"):
        list(raw.do_action(flight.Action("shutdown", b"")))
    raw.close()
    assert any(r.getMessage().endswith(" refused") for r in caplog.records)
    with FlightClient("127.0.0.1", server.port) as client:
        assert client.get_symbol(*DAY).height == 24


def test_the_client_raises_ticket_errors(client: FlightClient) -> None:
    with pytest.raises(TicketError, match="out of range"):
        client.get_symbol("um", "BTCUSDT", 61)
    with pytest.raises(TicketError, match="is not a symbol"):
        client.get_symbol("um", "BTC USDT", 5)
    with pytest.raises(TicketError, match="unknown market"):
        client.ready("nasdaq")
    assert client.ping().version


def test_one_log_line_per_request(client: FlightClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="marketlake.serve.server")
    client.get_symbol("um", "BTCUSDT", 5, 0, "2024-01-02", "2024-01-03")
    client.ping()
    lines = [r.getMessage() for r in caplog.records if r.name == "marketlake.serve.server"]
    assert len(lines) == 2
    assert lines[0].startswith("do_get symbol um klines BTCUSDT 5m rows=288 ms=")
    assert lines[0].endswith(" ok")
    assert lines[1].startswith("do_action ping rows=1 ms=")
