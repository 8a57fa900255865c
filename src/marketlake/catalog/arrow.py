"""Arrow schemas of the lake, derived from the catalog (imports pyarrow lazily)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marketlake.catalog.columns import Column, Kind
from marketlake.catalog.datasets import get_dataset
from marketlake.catalog.markets import Market

if TYPE_CHECKING:
    import pyarrow as pa

TIME_UNIT = "us"
TIME_ZONE = "UTC"
SCHEMA_VERSION = 1


def arrow_type(column: Column) -> pa.DataType:
    """The exact Arrow type that holds ``column`` in the lake."""
    import pyarrow as pa

    if column.kind in (Kind.EPOCH, Kind.DATETIME_TEXT):
        return pa.timestamp(TIME_UNIT, tz=TIME_ZONE)
    if column.kind is Kind.DECIMAL:
        return pa.decimal128(column.precision, column.scale)
    return {
        Kind.DATE_TEXT: pa.date32(),
        Kind.INT: pa.int64(),
        Kind.BOOL: pa.bool_(),
        Kind.TEXT: pa.string(),
    }[column.kind]


def lake_schema(dataset: str, market: Market) -> pa.Schema:
    """The lake schema of ``dataset`` in ``market``, with each column's meaning as metadata."""
    import pyarrow as pa

    columns = get_dataset(dataset).columns_for(market)
    fields = [
        pa.field(
            c.name,
            arrow_type(c),
            metadata={"description": c.description} if c.description else None,
        )
        for c in columns
    ]
    return pa.schema(
        fields,
        metadata={
            "marketlake.dataset": dataset,
            "marketlake.market": market.value,
            "marketlake.schema_version": str(SCHEMA_VERSION),
        },
    )
