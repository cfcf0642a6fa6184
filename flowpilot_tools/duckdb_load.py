"""Load the generated raw data into a DuckDB database file (issue 14: the project on DuckDB).

The same rows as ``flowpilot_tools.load`` lands in PostgreSQL (same scale, same seed: the same
generator, the same COPY text lines), in schema ``raw`` of a DuckDB file:

* the tables come from the raw contract, ``contract/raw_schema.sql``, with each column type
  translated (``DUCKDB_TYPES``: ``jsonb`` becomes ``json``, the others keep their names);
* worker processes write each table's COPY text lines to tab-separated files; DuckDB reads
  them with ``read_csv`` (no quoting, ``\\N`` for null, the tables' own column types) in one
  transaction that replaces schema ``raw``. Lines with a COPY escape other than a whole-field
  ``\\N`` (the generator writes none today) are decoded as PostgreSQL's COPY would and go
  through a JSON-lines file instead, so that a value can hold any character;
* ``append`` lands a later batch and applies ``load.REPLAYS_SQL``, translated: PostgreSQL's
  ``hashtext`` does not exist in DuckDB, so it is computed in SQL (``hashtext_uuid_sql``,
  Bob Jenkins' lookup3 as PostgreSQL's ``hash_bytes`` has it), which picks the same rows.

Every connection sets ``TimeZone`` to UTC: the data's instants are UTC, and DuckDB's default is
the machine's zone. The loader marks the raw tables it creates with ``load.DEMO_MARKER`` (DuckDB
has no comments on schemas), so that ``flowpilot generate`` never replaces a raw schema it did
not make (``raw_schema_is_foreign``).
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import re
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

import duckdb

from flowpilot_tools import PROJECT_ROOT, raw_contract
from flowpilot_tools.generate import COLUMNS, TABLES, Scale
from flowpilot_tools.load import DEMO_MARKER, REPLAYS_SQL, LoadResult, stream_generated

PATH_VARIABLE = "FLOWPILOT_DUCKDB_PATH"
# profiles.yml's duckdb target: env_var('FLOWPILOT_DUCKDB_PATH', PWD ~ '/.duckdb/flowpilot.duckdb')
DEFAULT_PATH = PROJECT_ROOT / ".duckdb" / "flowpilot.duckdb"

# The contract's (PostgreSQL) type names -> DuckDB's: the same names (numeric(8, 2) is DuckDB's
# exact DECIMAL(8,2)), except jsonb, which DuckDB's json stands for (it keeps the text as
# written; jsonb normalises it). raw_contract.parse rejects any other type.
DUCKDB_TYPES = {**{name: name for name in raw_contract.DATA_TYPES}, "jsonb": "json"}


def duckdb_path(env: Mapping[str, str] | None = None) -> Path:
    """The DuckDB file: $FLOWPILOT_DUCKDB_PATH, else .duckdb/flowpilot.duckdb at the repository
    root (the default of profiles.yml's duckdb target); its folder is created."""
    env = os.environ if env is None else env
    path = Path(env[PATH_VARIABLE]) if env.get(PATH_VARIABLE) else DEFAULT_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def connect(path: Path | str, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the DuckDB file with TimeZone UTC (instants read and written as UTC)."""
    conn = duckdb.connect(str(path), read_only=read_only)
    try:
        conn.execute("set TimeZone = 'UTC'")
        yield conn
    finally:
        conn.close()


# -- the raw schema ----------------------------------------------------------------------------

_COLUMN_TYPE = re.compile(r"^(\s*\w+\s+)([a-z]+)", re.MULTILINE)


def raw_schema_ddl(text: str | None = None) -> str:
    """contract/raw_schema.sql with DuckDB's column types (only the types of the column lines
    inside the ``create table`` bodies are rewritten)."""
    text = raw_contract.RAW_SCHEMA_SQL.read_text() if text is None else text
    raw_contract.parse(text)  # ValueError on a column line or type it does not know

    def body(match: re.Match) -> str:
        def column(line: re.Match) -> str:
            return line.group(1) + DUCKDB_TYPES[line.group(2)]
        return match.group(0).replace(match.group(2), _COLUMN_TYPE.sub(column, match.group(2)), 1)

    return raw_contract._TABLE.sub(body, text)


def create_raw_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Drop and recreate schema raw (in the caller's transaction), its tables marked."""
    conn.execute("drop schema if exists raw cascade")
    conn.execute(raw_schema_ddl())
    for table in TABLES:
        conn.execute(f"comment on table raw.{table} is '{DEMO_MARKER}'")
    created = {table: tuple(name for name, _ in _column_types(conn, table)) for table in TABLES}
    if created != COLUMNS:
        raise RuntimeError(f"DuckDB's raw tables differ from the contract: {created}")


def raw_schema_is_foreign(path: Path) -> bool:
    """True when the file has a schema raw that the loader did not create: one with a table or
    view that lacks the loader's marker, or with none at all. False without file or schema."""
    if not Path(path).exists():
        return False
    with connect(path, read_only=True) as conn:
        if not conn.execute("select count(*) from duckdb_schemas() where schema_name = 'raw' "
                            "and database_name = current_database()").fetchone()[0]:
            return False
        objects, marked = conn.execute(
            """
            select count(*), count(*) filter (where comment = $marker)
            from (select comment from duckdb_tables()
                  where schema_name = 'raw' and database_name = current_database()
                  union all
                  select comment from duckdb_views()
                  where schema_name = 'raw' and database_name = current_database())
            """,
            {"marker": DEMO_MARKER},
        ).fetchone()
    return objects == 0 or marked < objects


def _column_types(conn: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return conn.execute(
        "select column_name, data_type from duckdb_columns() where schema_name = 'raw' "
        "and table_name = $table and database_name = current_database() order by column_index",
        {"table": table},
    ).fetchall()


# -- COPY text lines -> files DuckDB reads -----------------------------------------------------

def is_plain(text: str) -> bool:
    """True when the COPY text lines TEXT hold no backslash but whole-field \\N (null) ones
    not in the first column: then the tab-separated reader gives exactly what COPY gives."""
    backslashes = text.count("\\")
    if not backslashes:
        return True
    return (backslashes == text.count("\\N") == text.count("\t\\N")
            == text.count("\\N\t") + text.count("\\N\n"))


_SIMPLE_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_ESCAPE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|(.))", re.DOTALL)


def decode_copy_field(field: str) -> str | None:
    """One field of a COPY text line as PostgreSQL reads it: \\N alone is null; \\b \\f \\n \\r
    \\t \\v, \\ooo (octal) and \\xhh (hex) bytes, any other backslashed character itself."""
    if field == "\\N":
        return None
    if "\\" not in field:
        return field
    out = bytearray()
    position = 0
    for match in _ESCAPE.finditer(field):
        out += field[position:match.start()].encode()
        octal, hexa, other = match.groups()
        if octal is not None:
            out.append(int(octal, 8) & 0xFF)
        elif hexa is not None:
            out.append(int(hexa, 16))
        else:
            out += _SIMPLE_ESCAPES.get(other, other).encode()
        position = match.end()
    out += field[position:].encode()
    return out.decode()  # as the server would, invalid UTF-8 is an error


def decode_copy_line(table: str, line: str) -> dict[str, str | None]:
    if "\r" in line:
        raise ValueError(f"raw.{table}: a literal carriage return in COPY data: {line!r}")
    values = [decode_copy_field(field) for field in line.rstrip("\n").split("\t")]
    if len(values) != len(COLUMNS[table]):
        raise ValueError(f"raw.{table}: {len(values)} fields, not {len(COLUMNS[table])}: {line!r}")
    return dict(zip(COLUMNS[table], values))


class TableFiles:
    """A table's COPY text lines written as a tab-separated file (plain lines) and a JSON-lines
    file (lines with escapes, decoded)."""

    def __init__(self, directory: Path, table: str, tag: str):
        self.table = table
        self.tsv = directory / f"{table}.{tag}.tsv"
        self.jsonl = directory / f"{table}.{tag}.jsonl"
        self._tsv: TextIO | None = None
        self._jsonl: TextIO | None = None

    def write(self, text: str) -> None:
        if "\r" not in text and is_plain(text):
            self._tsv_file().write(text)
            return
        plain = []
        for line in text.splitlines(keepends=True):
            if "\r" not in line and is_plain(line):
                plain.append(line)
            else:
                record = decode_copy_line(self.table, line)
                self._jsonl_file().write(json.dumps(record, ensure_ascii=False) + "\n")
        if plain:
            self._tsv_file().write("".join(plain))

    def _tsv_file(self) -> TextIO:
        if self._tsv is None:
            self._tsv = open(self.tsv, "w", encoding="utf-8", newline="")
        return self._tsv

    def _jsonl_file(self) -> TextIO:
        if self._jsonl is None:
            self._jsonl = open(self.jsonl, "w", encoding="utf-8", newline="")
        return self._jsonl

    def close(self) -> None:
        for handle in (self._tsv, self._jsonl):
            if handle is not None:
                handle.close()


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def insert_files(conn: duckdb.DuckDBPyConnection, table: str, tsv: list[Path],
                 jsonl: list[Path]) -> None:
    """Append the files' rows to raw.TABLE, read with the table's own column types."""
    types = _column_types(conn, table)
    names = ", ".join(name for name, _ in types)
    tsv = [path for path in tsv if path.exists() and path.stat().st_size]
    jsonl = [path for path in jsonl if path.exists() and path.stat().st_size]
    if tsv:
        columns = ", ".join(f"{_quote(name)}: {_quote(data_type)}" for name, data_type in types)
        conn.execute(
            f"insert into raw.{table} ({names}) select * from read_csv("
            f"[{', '.join(_quote(str(path)) for path in tsv)}], delim = '\t', quote = '', "
            f"escape = '', nullstr = '\\N', header = false, auto_detect = false, "
            f"new_line = '\\n', columns = {{{columns}}})"
        )
    if jsonl:
        columns = ", ".join(f"{_quote(name)}: 'VARCHAR'" for name, _ in types)
        casts = ", ".join(f"cast({name} as {data_type})" for name, data_type in types)
        conn.execute(
            f"insert into raw.{table} ({names}) select {casts} from read_json("
            f"[{', '.join(_quote(str(path)) for path in jsonl)}], "
            f"format = 'newline_delimited', columns = {{{columns}}})"
        )


# -- generation in worker processes ------------------------------------------------------------

def _worker(args: tuple[Scale, int, int, str]) -> dict[str, int]:
    """Write the COPY lines of this worker's accounts (as load._worker sends them) to files."""
    scale, worker, workers, directory = args
    with ExitStack() as stack:
        files = {}
        for table in TABLES:
            files[table] = TableFiles(Path(directory), table, f"w{worker}")
            stack.callback(files[table].close)
        return stream_generated(scale, worker, workers,
                                {table: sink.write for table, sink in files.items()})


def _generate(scale: Scale, directory: Path, workers: int) -> dict[str, int]:
    jobs = [(scale, worker, workers, str(directory)) for worker in range(workers)]
    if workers == 1:
        results = [_worker(jobs[0])]
    else:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            results = pool.map(_worker, jobs)
    return {table: sum(result[table] for result in results) for table in TABLES}


def _insert_generated(conn: duckdb.DuckDBPyConnection, directory: Path, workers: int) -> None:
    for table in TABLES:
        insert_files(conn, table,
                     [directory / f"{table}.w{worker}.tsv" for worker in range(workers)],
                     [directory / f"{table}.w{worker}.jsonl" for worker in range(workers)])


@contextmanager
def _scratch(path: Path) -> Iterator[Path]:
    """A folder for the generated files beside the database file (the same disk)."""
    with tempfile.TemporaryDirectory(prefix=f".{path.name}.load_", dir=path.parent) as folder:
        yield Path(folder)


def load(scale: Scale, path: Path, workers: int = 2) -> LoadResult:
    """Replace schema raw of the DuckDB file PATH with generated data (one transaction)."""
    started = time.perf_counter()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _scratch(path) as directory:
        rows = _generate(scale, directory, workers)
        with connect(path) as conn:
            conn.execute("begin")
            create_raw_schema(conn)
            _insert_generated(conn, directory, workers)
            conn.execute("commit")
            conn.execute("checkpoint")
    return LoadResult(rows=rows, seconds=time.perf_counter() - started)


# -- append: a later batch, and the updates it brings ------------------------------------------

_MASK = 0xFFFFFFFF
_HYPHENS = (8, 13, 18, 23)  # positions of '-' in a uuid's text
_MIX = (("a", "c", "b", 4), ("b", "a", "c", 6), ("c", "b", "a", 8),
        ("a", "c", "b", 16), ("b", "a", "c", 19), ("c", "b", "a", 4))
_FINAL = (("c", "b", 14), ("a", "c", 11), ("b", "a", 25), ("c", "b", 16),
          ("a", "c", 4), ("b", "a", 14), ("c", "b", 24))


def _rot(x: str, k: int) -> str:
    return f"((({x} << {k}) | ({x} >> {32 - k})) & {_MASK})"


def _word(key: list[str | int], shifts: list[tuple[int, int]]) -> str:
    """Bytes of the key shifted into a 32-bit word (constant bytes folded into one number)."""
    parts, constant = [], 0
    for index, shift in shifts:
        byte = key[index]
        if isinstance(byte, int):
            constant += byte << shift
        else:
            parts.append(f"({byte} << {shift})" if shift else byte)
    if constant or not parts:
        parts.append(str(constant))
    return " + ".join(parts)


def hashtext_uuid_sql(relation: str, suffix: str) -> str:
    """A query giving (id, h) for each row of RELATION (a query with a uuid column id): h is
    PostgreSQL's ``hashtext(id::text || SUFFIX)``, the int4 of hash_bytes (lookup3, little-endian
    reads, as on x86 and arm64) over the UTF-8 bytes of the uuid's lower-case text and SUFFIX.

    The key's length is fixed (36 + the suffix's bytes), so the hash unrolls into a chain of
    projections of 32-bit values kept in bigints; the uuid's text bytes come from its 128 bits
    (hexadecimal digits and the four hyphens), the suffix's are constants."""
    key: list[str | int] = []
    nibble = 0
    for position in range(36):
        if position in _HYPHENS:
            key.append(ord("-"))
            continue
        half, shift = ("hi", 4 * (15 - nibble)) if nibble < 16 else ("lo", 4 * (31 - nibble))
        digit = f"(({half} >> {shift}) & 15)::bigint"
        key.append(f"({digit} + 48 + 39 * ({digit} // 10))")  # '0'..'9', 'a'..'f'
        nibble += 1
    key += list(suffix.encode())
    length = len(key)
    start = (0x9E3779B9 + length + 3923095) & _MASK
    steps: list[dict[str, str]] = []
    offset, left = 0, length
    while left >= 12:
        steps.append({
            register: f"(({register} + "
                      f"{_word(key, [(offset + 4 * n + j, 8 * j) for j in range(4)])}) & {_MASK})"
            for n, register in enumerate("abc")
        })
        for x, y, z, k in _MIX:
            steps.append({x: f"xor(({x} - {y}) & {_MASK}, {_rot(y, k)})",
                          y: f"(({y} + {z}) & {_MASK})"})
        offset += 12
        left -= 12
    tail = {}
    for n, register in enumerate("abc"):
        # the last bytes; c's go 8 bits up ("the lowest byte of c is reserved for the length")
        shifts = [(offset + 4 * n + j, 8 * j + (8 if register == "c" else 0))
                  for j in range(4) if 4 * n + j < left]
        if shifts:
            tail[register] = f"(({register} + {_word(key, shifts)}) & {_MASK})"
    if tail:
        steps.append(tail)
    for x, y, k in _FINAL:
        steps.append({x: f"((xor({x}, {y}) - {_rot(y, k)}) & {_MASK})"})
    sql = (f"select id, (id::uhugeint >> 64)::ubigint as hi, "
           f"(id::uhugeint & 18446744073709551615)::ubigint as lo, "
           f"{start}::bigint as a, {start}::bigint as b, {start}::bigint as c from ({relation})")
    for step in steps:  # one projection each: no expression is inlined into the next
        registers = ", ".join(f"{step.get(r, r)} as {r}" for r in "abc")
        sql = f"select id, hi, lo, {registers} from ({sql})"
    return f"select id, c - 4294967296 * (c >> 31) as h from ({sql})"  # uint32 -> int4


_HASH_PREDICATE = re.compile(
    r"abs\(hashtext\((\w+)::text \|\| %\(batch\)s\)\) %% (\d+) = (\d+)")
_ON_COMMIT_DROP = re.compile(r"create temporary table (\w+) on commit drop as")
_FROM_RAW = re.compile(r"\bfrom raw\.(\w+)")
_PARAMETER = re.compile(r"%\((\w+)\)s")


def replays_sql(batch: int) -> list[tuple[str, tuple[str, ...]]]:
    """load.REPLAYS_SQL as DuckDB statements, with the names of their parameters.

    A translation, not a copy, so that both engines run the same updates: %(name)s becomes
    $name, %% becomes %, a temporary table "on commit drop" is dropped by a last statement, and
    ``abs(hashtext(COLUMN::text || %(batch)s)) %% N = R`` becomes a semi-join on the ids of the
    statement's raw table whose hashtext_uuid_sql hash satisfies the same condition."""
    statements: list[str] = []
    dropped: list[str] = []
    for statement in REPLAYS_SQL.strip().rstrip(";").split(";\n\n"):
        def hashed(match: re.Match, statement: str = statement) -> str:
            tables = _FROM_RAW.findall(statement)
            if len(tables) != 1:
                raise ValueError(f"hashtext in a statement without exactly one raw table: {tables}")
            column, modulus, remainder = match.groups()
            ids = hashtext_uuid_sql(f"select distinct {column} as id from raw.{tables[0]}",
                                    str(batch))
            return (f"{column} in (select id from ({ids}) "
                    f"where abs(h) %% {modulus} = {remainder})")

        statement = _HASH_PREDICATE.sub(hashed, statement)
        match = _ON_COMMIT_DROP.search(statement)
        if match:
            dropped.append(match.group(1))
            statement = _ON_COMMIT_DROP.sub(r"create temporary table \1 as", statement)
        statements.append(statement)
    statements += [f"drop table {name}" for name in dropped]
    translated = []
    for statement in statements:
        if "hashtext" in statement or "on commit" in statement:
            raise ValueError(f"REPLAYS_SQL: a construct the DuckDB translation does not know:\n"
                             f"{statement}")
        names = tuple(dict.fromkeys(_PARAMETER.findall(statement)))
        translated.append((_PARAMETER.sub(r"$\1", statement).replace("%%", "%"), names))
    return translated


def append(scale: Scale, path: Path, workers: int = 2) -> LoadResult:
    """Land a later batch (scale.batch > 0) on top of schema raw of the DuckDB file: new rows
    and the updates of load.REPLAYS_SQL, as load.append does in PostgreSQL (one transaction).

    As there, the batch lands a minute after the newest _loaded_at already in raw unless
    scale.landed_at says otherwise."""
    if not scale.batch:
        raise ValueError("append needs a Scale with batch > 0")
    started = time.perf_counter()
    path = Path(path)
    if scale.landed_at is None:
        with connect(path, read_only=True) as conn:
            newest = conn.execute(
                " union all ".join(f"select max(_loaded_at) from raw.{table}" for table in TABLES)
                .join(("select max(m) from (", ") as maxima (m)"))
            ).fetchone()[0]
        scale = dataclasses.replace(scale, landed_at=newest + timedelta(minutes=1))
    day_start = scale.as_of - timedelta(days=scale.days)
    values: dict[str, Any] = {"day_start": day_start, "landed": scale.landed_at,
                              "batch": str(scale.batch)}
    with _scratch(path) as directory:
        rows = _generate(scale, directory, workers)
        with connect(path) as conn:
            conn.execute("begin")
            _insert_generated(conn, directory, workers)
            for statement, names in replays_sql(scale.batch):
                conn.execute(statement, {name: values[name] for name in names})
            conn.execute("commit")
    return LoadResult(rows=rows, seconds=time.perf_counter() - started)
