"""Moving lake partitions into a warehouse table: two transports, one INSERT shape.

Each lake file becomes rows of the table with three constants added: the partition's
``symbol`` (unless the file has its own), ``archive_file`` and ``archive_version``.

* :class:`FileLoader` (chDB): ClickHouse reads the lake's Parquet files itself, a batch of
  files in one ``INSERT ... SELECT ... FROM file(path, Parquet) UNION ALL ...`` statement;
  no row passes through Python.
* :class:`UploadLoader` (a server, which cannot see the lake's disk): pyarrow reads the files
  and the batch is sent as one Arrow payload (``insert_arrow``).

Both refuse a lake file whose Parquet schema differs from the lake schema (a drifted file is
never cast into the table), and both insert with NULL-as-default off, so an unexpected NULL
fails the load instead of becoming 0.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from marketlake.catalog import Market
from marketlake.catalog.arrow import lake_schema
from marketlake.errors import LakeError
from marketlake.warehouse.engine import STRICT_INSERT, Engine
from marketlake.warehouse.plan import PartitionLoad
from marketlake.warehouse.tables import (
    ARCHIVE_FILE,
    ARCHIVE_VERSION,
    SYMBOL,
    TableSpec,
    qualified,
    quote,
)

if TYPE_CHECKING:
    import pyarrow as pa

_GLOB_CHARACTERS = frozenset("*?{}[]")


@dataclass(frozen=True)
class LakeFile:
    """One Parquet file of a partition to load, with the constants its rows get."""

    path: Path
    symbol: str
    archive_file: str
    archive_version: str


class Loader(Protocol):
    """Inserts a batch of lake files into one warehouse table."""

    max_rows: int
    """The most rows one batch should hold (what one insert may keep in memory)."""

    def load(
        self, engine: Engine, database: str, spec: TableSpec, files: Sequence[LakeFile]
    ) -> None:
        """Insert every row of ``files`` into ``spec``'s table (one insert per batch)."""
        ...


def lake_files(batch: Sequence[PartitionLoad], lake_root: Path) -> list[LakeFile]:
    """The files of a batch of partitions, with their constants."""
    return [
        LakeFile(lake_root / relative, item.key.symbol, item.key.file_name, item.version)
        for item in batch
        for relative in item.record.files
    ]


def loader_for(engine: Engine) -> Loader:
    """ClickHouse reads the files itself when it runs in this process; else they are sent."""
    return FileLoader() if engine.reads_local_files else UploadLoader()


class FileLoader:
    """chDB: ``INSERT ... SELECT ... FROM file()`` over the lake's own Parquet files."""

    max_rows = 4_000_000  # ClickHouse streams the files: no batch is held in Python

    def load(
        self, engine: Engine, database: str, spec: TableSpec, files: Sequence[LakeFile]
    ) -> None:
        """Insert ``files`` in one statement (files whose path has glob characters are sent)."""
        for file in files:
            check_lake_file(file.path, spec)
        local = [f for f in files if not _GLOB_CHARACTERS & set(str(f.path))]
        if len(local) < len(files):
            UploadLoader().load(engine, database, spec, [f for f in files if f not in local])
        if not local:
            return
        parameters: dict[str, object] = {}
        selects = []
        for index, file in enumerate(local):
            selects.append(_select(spec, index))
            parameters.update(_constants(index, file))
        target = ", ".join(quote(c.name) for c in spec.columns)
        sql = f"INSERT INTO {qualified(database, spec.name)} ({target}) " + " UNION ALL ".join(
            selects
        )
        engine.command(sql, parameters, settings=STRICT_INSERT)


class UploadLoader:
    """A server: pyarrow reads the files, one Arrow payload per batch is inserted."""

    max_rows = 1_000_000  # the batch is held in memory twice (Arrow table, Arrow payload)

    def load(
        self, engine: Engine, database: str, spec: TableSpec, files: Sequence[LakeFile]
    ) -> None:
        """Insert ``files`` as one Arrow table."""
        import pyarrow as pa

        tables = [_tagged(file, spec) for file in files]
        if tables:
            data = pa.concat_tables(tables).unify_dictionaries()
            engine.insert_arrow(qualified(database, spec.name), data)


def check_lake_file(path: Path, spec: TableSpec) -> None:
    """Refuse a lake file whose columns or types differ from the lake schema."""
    import pyarrow.parquet as pq

    try:
        found = pq.read_schema(path)
    except (OSError, ValueError) as exc:
        raise LakeError(
            f"cannot read lake file {path}: {exc}; run `marketlake ingest` again"
        ) from exc
    expected = _expected_schema(spec.dataset, spec.market)
    differences = [
        f"{field.name} is {_type_of(found, field.name)}, expected {field.type}"
        for field in expected
        if _type_of(found, field.name) != str(field.type)
    ]
    if differences:
        raise LakeError(
            f"lake file {path} drifted from the lake schema ({'; '.join(differences)}):"
            " re-ingest it with `marketlake ingest --update-existing`"
        )


def _select(spec: TableSpec, index: int) -> str:
    values = [] if spec.symbol_from_file else [f"{{s{index}:String}}"]
    values += [quote(name) for name in spec.lake_columns]
    values += [f"{{f{index}:String}}", f"{{v{index}:String}}"]
    return f"SELECT {', '.join(values)} FROM file({{p{index}:String}}, 'Parquet')"


def _constants(index: int, file: LakeFile) -> dict[str, object]:
    return {
        f"s{index}": file.symbol,
        f"f{index}": file.archive_file,
        f"v{index}": file.archive_version,
        f"p{index}": str(file.path),
    }


def _tagged(file: LakeFile, spec: TableSpec) -> pa.Table:
    import pyarrow.parquet as pq

    check_lake_file(file.path, spec)
    table = pq.read_table(file.path, columns=list(spec.lake_columns)).replace_schema_metadata(None)
    rows = table.num_rows
    if not spec.symbol_from_file:
        table = table.add_column(0, SYMBOL, _constant(file.symbol, rows))
    table = table.append_column(ARCHIVE_FILE, _constant(file.archive_file, rows))
    return table.append_column(ARCHIVE_VERSION, _constant(file.archive_version, rows))


def _constant(value: str, rows: int) -> pa.DictionaryArray:
    """``rows`` times ``value``, dictionary-encoded (one string, ``rows`` zero indices)."""
    import numpy as np
    import pyarrow as pa

    indices = pa.array(np.zeros(rows, dtype=np.int32))
    return pa.DictionaryArray.from_arrays(indices, pa.array([value], pa.string()))


@functools.cache
def _expected_schema(dataset: str, market: Market) -> pa.Schema:
    return lake_schema(dataset, market)


def _type_of(schema: pa.Schema, name: str) -> str:
    index = schema.get_field_index(name)
    return "missing" if index < 0 else str(schema.field(index).type)
