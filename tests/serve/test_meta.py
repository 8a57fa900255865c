"""Listing, schemas, flight infos and actions, checked against the manifest and the read path."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
from pyarrow import flight

from marketlake.lake.read import schema_of
from marketlake.lake.request import ReadRequest
from marketlake.serve import RunningServer
from marketlake.serve.client import FlightClient

JANUARY_START = datetime(2024, 1, 1, tzinfo=UTC)


def test_list_available_data_counts_rows_and_spans(client: FlightClient) -> None:
    listed = client.list_available_data().sort("name")
    assert listed.select("name", "symbols", "partitions", "rows").rows() == [
        ("spot/klines/1m", 1, 1, 1440),
        ("um/aggTrades", 1, 1, 1109),
        ("um/fundingRate", 1, 1, 93),
        ("um/klines/1h", 2, 2, 2 * 744),
        ("um/klines/1m", 2, 2, 2 * 44640),
        ("um/metrics", 1, 1, 288),
    ]
    minutes = listed.filter(pl.col("name") == "um/klines/1m").row(0, named=True)
    assert (minutes["market"], minutes["dataset"], minutes["interval"]) == ("um", "klines", "1m")
    assert minutes["first"] == JANUARY_START
    assert minutes["last"] == datetime(2024, 1, 31, 23, 59, tzinfo=UTC)
    assert client.list_available_data("spot")["name"].to_list() == ["spot/klines/1m"]
    assert client.list_available_data("option").height == 0
    funding = listed.filter(pl.col("name") == "um/fundingRate").row(0, named=True)
    assert funding["interval"] is None
    assert funding["last"] == datetime(2024, 1, 31, 16, 0, 0, 27000, tzinfo=UTC)


def test_every_listed_flight_can_be_redeemed_for_its_rows(server: RunningServer) -> None:
    raw = flight.connect(f"grpc+tcp://127.0.0.1:{server.port}")
    infos = list(raw.list_flights())
    for info in infos:
        (endpoint,) = info.endpoints
        table = raw.do_get(endpoint.ticket).read_all()
        assert table.num_rows == info.total_records
        assert table.schema == info.schema
        assert json.loads(info.app_metadata)["rows"] == info.total_records
    raw.close()


def test_flight_info_and_schema_of_paths_and_tickets(server: RunningServer) -> None:
    raw = flight.connect(f"grpc+tcp://127.0.0.1:{server.port}")
    expected = schema_of(ReadRequest.build(market="um", dataset="klines", interval="1h"))
    info = raw.get_flight_info(flight.FlightDescriptor.for_path("um", "klines", "1h"))
    assert info.schema == expected
    ticket = json.loads(info.endpoints[0].ticket.ticket)
    assert (ticket["kind"], ticket["interval"], ticket["begin"]) == (
        "klines",
        "1h",
        "2024-01-01T00:00:00Z",
    )
    assert raw.do_get(info.endpoints[0].ticket).read_all().num_rows == 2 * 744
    command = {"v": 1, "kind": "symbol", "market": "um", "symbol": "BTCUSDT", "interval": "4h",
               "begin": "2024-01-01", "end": "2024-01-02"}  # fmt: skip
    by_command = raw.get_flight_info(flight.FlightDescriptor.for_command(json.dumps(command)))
    assert raw.do_get(by_command.endpoints[0].ticket).read_all().num_rows == 6
    raw.close()


def test_get_schema_by_name(client: FlightClient) -> None:
    minutes = client.get_schema("um/klines/1m")
    assert minutes == schema_of(ReadRequest.build(market="um", dataset="klines", interval="1m"))
    funding = client.get_schema("um/fundingRate")
    assert funding.names == ["symbol", "calc_time", "funding_interval_hours", "last_funding_rate"]
    assert "lake_first" in client.get_schema("um/exginfo").names
    ticket = {"v": 1, "kind": "symbol", "market": "cm", "symbol": "BTCUSD_PERP", "interval": 5}
    assert "average_price" not in client.get_schema(ticket).names  # COIN-M klines have none


def test_ping_ready_and_actions(client: FlightClient) -> None:
    pong = client.ping()
    assert pong.version == "0.1.0"
    assert abs((pong.time - datetime.now(UTC)).total_seconds()) < 60
    ready = client.ready("um")
    assert ready.ready
    by_name = {d.name: d for d in ready.datasets}
    assert sorted(by_name) == [
        "um/aggTrades",
        "um/fundingRate",
        "um/klines/1h",
        "um/klines/1m",
        "um/metrics",
    ]
    minutes = by_name["um/klines/1m"]
    assert (minutes.rows, minutes.symbols) == (89280, 2)
    assert minutes.last == datetime(2024, 1, 31, 23, 59, tzinfo=UTC)
    lag = (ready.checked_at - minutes.last).total_seconds()
    assert abs(minutes.lag_seconds - lag) < 1
    option = client.ready("option")
    assert (option.ready, option.datasets) == (False, ())
    assert [a.name for a in client.list_actions()] == ["ping", "ready", "list_actions"]
    assert all(a.description for a in client.list_actions())


def test_list_actions_as_an_action(server: RunningServer) -> None:
    raw = flight.connect(f"grpc+tcp://127.0.0.1:{server.port}")
    (result,) = list(raw.do_action(flight.Action("list_actions", b"")))
    described = json.loads(result.body.to_pybytes())
    assert [a["type"] for a in described] == ["ping", "ready", "list_actions"]
    raw.close()
