"""The lake over Arrow Flight: a server (``marketlake serve``) and its Python client.

serve/ticket.py     the versioned JSON ticket, validated into a typed Ticket
serve/source.py     tickets onto the lake's one read path (and the symbols table)
serve/server.py     the Flight server: listing, schemas, streams, actions, one log line each
serve/auth.py       bearer-token middleware
serve/actions.py    ping / ready / list_actions and their replies
serve/client.py     FlightClient (Polars or Arrow)
"""

from marketlake.serve.config import DEFAULT_HOST, DEFAULT_PORT, ServeConfig
from marketlake.serve.service import RunningServer, start_server
from marketlake.serve.ticket import Ticket, parse_ticket

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "RunningServer",
    "ServeConfig",
    "Ticket",
    "parse_ticket",
    "start_server",
]
