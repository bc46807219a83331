"""The cost store: one SQLite file, opened through sqlite-utils, written atomically.

:meth:`CostStore.replace` is the only writer of cost rows: it swaps whole
(source, billing period) deliveries inside one transaction, which is what makes
ingestion idempotent (a newer delivery of a month replaces the older one) and
safe (a failure leaves the store as it was).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from bot.costs.columns import GROUP_COLUMNS, KEY_COLUMNS
from bot.errors import StoreError, StoreLocked

if TYPE_CHECKING:
    import numpy as np
    from sqlite_utils import Database

    from bot.costs.rollup import DailyAmounts  # pyarrow and pandas: only when writing
    from bot.costs.vectors import DailyVectors

# numpy, pyarrow and pandas are imported where rows are written, not at import: a
# question needs none of them to open the store (costbot's start-up, issue 18).

EPOCH = date(1970, 1, 1)
COARSE_FORMAT = "Cost Explorer"  # deliveries.format of Cost Explorer syncs (bot/sync/ce.py)
_ROWS_PER_INSERT = 400
_READ_CACHE_KIB = 262144  # 256 MiB of pages for answering
_WRITE_CACHE_KIB = 32768  # 32 MiB while an ingest writes (its memory is bounded; issue 18)
_BUSY_TIMEOUT_MS = 10_000  # a reader waits this long for a writer's lock
_CELLS_PER_CHUNK = 1 << 18  # charge-days turned into rows and written at a time


def day_number(d: date) -> int:
    """Return the store's day number (days since 1970-01-01) of a date."""
    return (d - EPOCH).days


def day_date(n: int) -> date:
    """Return the date of a store day number."""
    return EPOCH + timedelta(days=int(n))


@dataclass(frozen=True)
class DeliveryInfo:
    """Where one delivery came from: its files and their versions, as read."""

    format: str
    files: tuple[str, ...]
    rows_read: int
    rows_skipped: int
    execution: str = ""  # Data Exports execution id / legacy CUR assembly id ("" if unknown)
    manifest: str = ""  # the manifest that chose the files ("" without one)
    etags: dict[str, str] = field(default_factory=dict)  # file -> S3 ETag or "<size>-<mtime ns>"


@dataclass(frozen=True)
class Delivered:
    """What the store holds of one export's billing period (see :meth:`CostStore.delivered`)."""

    export: str
    billing_period: str
    execution_id: str
    manifest: str
    files: tuple[str, ...]
    etags: dict[str, str]
    ingested_at: str
    accounts: tuple[str, ...]


@dataclass(frozen=True)
class DeliveryStats:
    """What one (export, source, billing period) delivery put in the store."""

    export: str
    provider: str
    billing_account: str
    billing_period: str
    format: str
    files: tuple[str, ...]
    rows_read: int
    rows_skipped: int
    lines: int
    billed: int
    effective: int
    list: int
    first_day: date | None
    last_day: date | None
    replaced: bool
    # other exports whose delivery of this source and period held the same charges
    # (another copy or layout of the same bill), replaced rather than added to
    replaced_exports: tuple[str, ...] = ()


class CostStore:
    """Open (and migrate) a cost store file."""

    def __init__(self, path: Path | str, *, create: bool = True, shared: bool = False) -> None:
        """``shared``: threads of this process (a serving bot's listeners) may open
        connections at any moment, so a first load never takes the store to itself."""
        self.path = Path(path)
        self.shared = shared
        if not create and not self.path.exists():
            raise StoreError(f"no cost store at {self.path}; run `costbot ingest` first")
        self._local = threading.local()
        self._connections: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._connections_lock = threading.Lock()
        self._written: dict[tuple[str, str, str, str], int] | None = None  # in a write
        self._deferred: list[str] = []  # indexes to build before this write commits
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            from bot.state.migrations import apply_migrations, up_to_date

            if not up_to_date(self.conn):  # plain sqlite3: a question never imports sqlite-utils
                apply_migrations(self.db)
        except sqlite3.DatabaseError as exc:
            self.close()
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                # A first ingest in another process holds the store to itself (see
                # writing()); it is minutes at most, and nothing was in the store before it.
                raise StoreLocked(
                    f"{self.path} is locked by another process (most likely a first ingest, "
                    "which loads an empty store with it to itself); try again when that "
                    "ingest has finished"
                ) from exc
            raise StoreError(f"{self.path} is not a costbot store ({exc})") from exc

    @property
    def db(self) -> Database:
        """This thread's connection wrapped by sqlite-utils, built on first use.

        Reads need only sqlite3; sqlite-utils (about a tenth of a second of start-up,
        issue 18) loads when migrations run or a caller asks for it.
        """
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            import sqlite_utils

            db = self._local.db = sqlite_utils.Database(self.conn)
        return db

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's sqlite3 connection (autocommit; transactions are explicit).

        One connection per thread: Slack listeners answer concurrently, and a
        sqlite3 connection must not run two statements at once. WAL lets readers
        proceed while an ingest writes.
        """
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # The busy timeout from the first statement on (sqlite3's default is 5 s: a
            # first PRAGMA waited that long on a store another process held).
            conn = sqlite3.connect(
                self.path,
                check_same_thread=False,
                isolation_level=None,
                timeout=_BUSY_TIMEOUT_MS / 1000,
            )
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA cache_size=-{_READ_CACHE_KIB}")
            conn.execute("PRAGMA temp_store=MEMORY")
            self._local.conn = conn
            with self._connections_lock:
                # Threads come and go (one per HTTP request): close what dead threads held.
                alive = []
                for thread, other in self._connections:
                    if thread.is_alive():
                        alive.append((thread, other))
                    else:
                        other.close()
                alive.append((threading.current_thread(), conn))
                self._connections = alive
        return conn

    def open_connections(self) -> int:
        """Return how many connections the store holds (one per live thread that used it)."""
        with self._connections_lock:
            return len(self._connections)

    def close(self) -> None:
        """Close every connection this store opened."""
        with self._connections_lock:
            for _, conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def schema_version(self) -> int:
        """Return how many migrations are applied."""
        from bot.costs.schema import migrations

        return len(migrations.applied(self.db))

    # -- writing -------------------------------------------------------------------------

    def replace(
        self,
        *,
        keys: Sequence[tuple[str, ...]],
        daily: DailyAmounts,
        groups: Sequence[tuple[str, ...]],
        cube: DailyAmounts,
        key_group: np.ndarray,
        cube_tags: Sequence[str],
        file_info: dict[tuple[str, str, str, str], DeliveryInfo],
        vectors: DailyVectors | None = None,
    ) -> list[DeliveryStats]:
        """Replace every (export, source, billing period) present in ``keys`` with these rows.

        ``keys`` are tuples of (billing_period, *KEY_COLUMNS, export, tagset json);
        ``groups`` are (billing_period, *GROUP_COLUMNS, export, tagset json).
        ``file_info`` maps (export, provider, billing account, period) to where
        the delivery came from. Only what the same export delivered for that
        source and period is replaced (and rows stored before exports were
        recorded, export ``''``). Runs as one transaction. ``vectors``, when given,
        are the charges' daily vectors of all of ``daily``, made beforehand (by a
        reader thread, off the writer's path).
        """
        with self.writing():
            return self._replace(
                keys, daily, groups, cube, key_group, cube_tags, file_info, vectors
            )

    @contextmanager
    def writing(self) -> Iterator[CostStore]:
        """Hold one write transaction across several :meth:`replace` calls (one ingest).

        An ingest writes one part of its input at a time (a billing period's
        files), so that memory holds one part, not the whole delivery; all parts
        commit together or not at all. A delivery a part already wrote in this
        transaction is added to, not replaced.
        """
        if self._written is not None:  # nested: the outer transaction decides
            yield self
            return
        conn = self.conn
        # A smaller page cache while writing: SQLite spills the transaction's pages to the
        # WAL instead of holding up to 256 MiB of them beside the roll-up (issue 18).
        conn.execute(f"PRAGMA cache_size=-{_WRITE_CACHE_KIB}")
        first_load = journal = began = False
        try:
            first_load = self._holds_no_charges()
            journal = self._begin_first_load(private=not self.shared) if first_load else False
            conn.execute("BEGIN IMMEDIATE")
            began = True
            if first_load and not self._holds_no_charges():
                # Another writer loaded the store between the look and the lock: write as
                # any sync does (checks on, indexes kept), which needs a fresh transaction.
                conn.execute("ROLLBACK")
                began = False
                self._end_first_load(journal)
                first_load = journal = False
                conn.execute("BEGIN IMMEDIATE")
                began = True
            self._written = {}
            self._deferred = self._defer_charge_indexes() if first_load else []
            yield self
            self.build_deferred_indexes()
            conn.execute("COMMIT")
        except BaseException:
            if began:
                conn.execute("ROLLBACK")
            raise
        finally:
            self._written = None
            self._deferred = []
            conn.execute(f"PRAGMA cache_size=-{_READ_CACHE_KIB}")
            if first_load:
                self._end_first_load(journal)

    def _holds_no_charges(self) -> bool:
        return self.conn.execute("SELECT 1 FROM charges LIMIT 1").fetchone() is None

    def _begin_first_load(self, *, private: bool) -> bool:
        """Set up a first load (a store with no charges): no per-row foreign-key checks,
        and a rollback journal when no other connection has the store open.

        Every id a first load writes comes from rows it inserts in the same
        transaction, so the checks (a quarter of the charges insert on the bench
        org) would only find bugs, which the tests look for instead
        (``PRAGMA foreign_key_check``). In the WAL a load is written twice: to the
        log, then to the file at the checkpoint after the commit (about 0.4 s alone
        at the end of the bench org's ingest). A rollback journal writes new pages
        once, and journals only the few pages that existed. Leaving the WAL needs
        the store to itself: with another connection holding it open (any
        ``CostStore`` reads it on opening; a bot answering) the attempt fails at
        once and the load stays in the WAL; a ``shared`` store (a
        serving bot, whose listeners open connections when questions come) does not
        try. Returns whether the journal was switched.
        """
        conn = self.conn
        conn.execute("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction: set before
        if not private:
            return False
        conn.execute("PRAGMA busy_timeout=0")
        try:
            mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        except sqlite3.OperationalError:  # "database is locked": someone else has it open
            mode = "wal"
        finally:
            conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        return str(mode).lower() == "delete"

    def _end_first_load(self, journal: bool) -> None:
        """Restore what :meth:`_begin_first_load` changed, committed or rolled back."""
        conn = self.conn
        conn.execute("PRAGMA foreign_keys=ON")
        if journal:
            # Still locked after the busy timeout: the next open sets the WAL again.
            with contextlib.suppress(sqlite3.OperationalError):
                conn.execute("PRAGMA journal_mode=WAL")

    def build_deferred_indexes(self) -> None:
        """Build the charge indexes a first ingest dropped, now (at the latest, at commit).

        An ingest calls this when its writing thread would wait for the readers' last
        units, or else before its last billing period: the build (under a second on
        the bench org) then runs while the readers still read, instead of after them,
        and the few rows written after it keep the indexes up as they go. A second
        call does nothing.
        """
        deferred, self._deferred = self._deferred, []
        for sql in deferred:  # built once over the loaded rows: faster than row by row
            self.conn.execute(sql)

    def _defer_charge_indexes(self) -> list[str]:
        """Drop the ``charges`` indexes for this write; return their SQL. Only for a first
        load: :meth:`writing` has checked, inside the transaction, that the table is empty.

        A first ingest loads every charge at once, and SQLite builds an index
        over loaded rows in one sorted pass much faster than it maintains it
        insert by insert (a third of the write at the bench org). A store that
        already holds charges keeps its indexes: a sync adds a month to a year.
        Inside the transaction, so a rollback brings the indexes back.
        """
        conn = self.conn
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'charges' "
            "AND sql IS NOT NULL ORDER BY name"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        return [sql for _, sql in indexes]

    def _replace(
        self,
        keys: Sequence[tuple[str, ...]],
        daily: DailyAmounts,
        groups: Sequence[tuple[str, ...]],
        cube: DailyAmounts,
        key_group: np.ndarray,
        cube_tags: Sequence[str],
        file_info: dict[tuple[str, str, str, str], DeliveryInfo],
        ready: DailyVectors | None = None,
    ) -> list[DeliveryStats]:
        import numpy as np

        conn = self.conn
        deliveries, key_delivery = _deliveries_of(keys)
        source_ids: dict[tuple[str, str], int] = {}
        for _, provider, account, _ in deliveries:
            if (provider, account) not in source_ids:
                conn.execute(
                    "INSERT OR IGNORE INTO sources (provider, billing_account) VALUES (?, ?)",
                    (provider, account),
                )
                source_ids[(provider, account)] = conn.execute(
                    "SELECT id FROM sources WHERE provider = ? AND billing_account = ?",
                    (provider, account),
                ).fetchone()[0]
        replaced: dict[tuple[str, str, str, str], list[str]] = {}
        written = self._written if self._written is not None else {}
        for delivery in deliveries:
            if delivery in written:
                continue  # an earlier part of this ingest wrote it: add to it
            export, provider, account, period = delivery
            sid = source_ids[(provider, account)]
            old = conn.execute(
                "SELECT id, export FROM deliveries WHERE source_id = ? AND billing_period = ?",
                (sid, period),
            ).fetchall()
            mine = [(i, e) for i, e in old if e in (export, "")]
            others = [(i, e) for i, e in old if e not in (export, "")]
            # Cost Explorer's coarse rows (issue 15) give way to any finer delivery of the
            # same source and period: their charges never match a file's, yet they overlap.
            coarse = self._coarse_deliveries(others, file_info.get(delivery))
            mine += coarse
            others = [o for o in others if o not in coarse]
            if others:
                charges = _charge_identities(keys, delivery)
                mine += [(i, e) for i, e in others if self._holds_any(i, charges)]
            for delivery_id, old_export in mine:
                replaced.setdefault(delivery, []).append(old_export)
                self._delete_delivery(delivery_id)
        stats = self._delivery_stats(deliveries, key_delivery, daily, file_info, replaced)
        delivery_ids = self._insert_deliveries(stats, source_ids, file_info, written)

        tagset_ids = self._tagset_ids(set(map(itemgetter(-1), keys)) | {g[-1] for g in groups})
        group_base = self._next_id("cost_groups")
        gpi = 1 + GROUP_COLUMNS.index("provider")
        gai = 1 + GROUP_COLUMNS.index("billing_account")
        conn.executemany(
            "INSERT INTO cost_groups (id, source_id, delivery_id, billing_period, "
            f"{', '.join(GROUP_COLUMNS)}, tagset_id) "
            f"VALUES ({', '.join('?' * (len(GROUP_COLUMNS) + 5))})",
            (
                (
                    group_base + i,
                    source_ids[(g[gpi], g[gai])],
                    delivery_ids[(g[-2], g[gpi], g[gai], g[0])],
                    *g[:-2],
                    tagset_ids[g[-1]],
                )
                for i, g in enumerate(groups)
            ),
        )
        _insert_amounts(conn, "daily_group_costs", "group_id", group_base, cube)
        # A charge row holds only what its group does not: the resource, its type and SKU.
        ri, ti, si = (1 + KEY_COLUMNS.index(c) for c in ("resource_id", "resource_type", "sku"))
        # What each delivery gives its charges: source id, delivery id, billing period.
        per_delivery = [
            np.array([source_ids[(d[1], d[2])] for d in deliveries], dtype=np.int64),
            np.array([delivery_ids[d] for d in deliveries], dtype=np.int64),
            np.array([d[3] for d in deliveries], dtype=object),
        ]
        from bot.costs.vectors import DailyVectors

        # Vectors a reader made for the whole of a one-unit part, or a slice at a time here
        # (flat memory: a part merged from several units can hold millions of charge-days).
        slices: Iterable[DailyVectors] = (
            [ready]
            if ready is not None
            else map(DailyVectors, _key_chunks(daily, _CELLS_PER_CHUNK))
        )
        for vectors in slices:
            charged = list(map(keys.__getitem__, vectors.keys.tolist()))  # keys with amounts
            of_delivery = key_delivery[vectors.keys]
            # Built column by column (numpy takes and C-level maps, no per-row tuples).
            columns: list[list[object]] = [
                *(values[of_delivery].tolist() for values in per_delivery),
                (key_group[vectors.keys] + group_base).tolist(),
                list(map(itemgetter(ri), charged)),
                list(map(itemgetter(ti), charged)),
                list(map(itemgetter(si), charged)),
                list(map(tagset_ids.__getitem__, map(itemgetter(-1), charged))),
                *vectors.columns,
            ]
            del vectors, charged
            _insert_columns(
                conn,
                "INSERT INTO charges (source_id, delivery_id, billing_period, group_id, "
                "resource_id, resource_type, sku, tagset_id, first_day, last_day, days, lines, "
                "billed_total, effective_total, list_total, billed, effective, list) VALUES ",
                columns,
                blobs=3,  # billed, effective, list (the last two NULL when equal to billed)
            )
        self._set_meta("cube_tags", json.dumps(sorted(cube_tags)))
        self._set_meta("last_ingest_at", datetime.now(UTC).isoformat(timespec="seconds"))
        self._set_meta("ingest_id", uuid.uuid4().hex)  # changes with every ingest: caches key on it
        return stats

    def _delivery_stats(
        self,
        deliveries: list[tuple[str, str, str, str]],
        key_delivery: np.ndarray,
        daily: DailyAmounts,
        file_info: dict[tuple[str, str, str, str], DeliveryInfo],
        replaced: dict[tuple[str, str, str, str], list[str]],
    ) -> list[DeliveryStats]:
        one = len(deliveries) == 1  # the usual part: every row is the delivery's, no masks
        which = None if one else key_delivery[daily.index]
        out = []
        for i, delivery in enumerate(deliveries):
            export, provider, account, period = delivery
            m = slice(None) if which is None else which == i
            info = file_info.get(delivery) or DeliveryInfo("unknown", (), 0, 0)
            days = daily.day[m]
            out.append(
                DeliveryStats(
                    export,
                    provider,
                    account,
                    period,
                    info.format,
                    info.files,
                    info.rows_read,
                    info.rows_skipped,
                    int(daily.lines[m].sum()),
                    int(daily.billed[m].sum()),
                    int(daily.effective[m].sum()),
                    int(daily.list[m].sum()),
                    day_date(days.min()) if len(days) else None,
                    day_date(days.max()) if len(days) else None,
                    delivery in replaced,
                    tuple(sorted({e for e in replaced.get(delivery, []) if e != export})),
                )
            )
        return out

    def _insert_deliveries(
        self,
        stats: list[DeliveryStats],
        source_ids: dict[tuple[str, str], int],
        file_info: dict[tuple[str, str, str, str], DeliveryInfo],
        written: dict[tuple[str, str, str, str], int],
    ) -> dict[tuple[str, str, str, str], int]:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        ids = {}
        for st in stats:
            key = (st.export, st.provider, st.billing_account, st.billing_period)
            info = file_info.get(key) or DeliveryInfo("unknown", (), 0, 0)
            if key in written:
                ids[key] = written[key]
                self._add_to_delivery(written[key], st, info)
                continue
            cur = self.conn.execute(
                "INSERT INTO deliveries (export, source_id, billing_period, format, files, "
                "rows_read, rows_skipped, billed, effective, list, first_day, last_day, "
                "ingested_at, execution_id, manifest, etags) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    st.export,
                    source_ids[(st.provider, st.billing_account)],
                    st.billing_period,
                    st.format,
                    json.dumps(list(st.files)),
                    st.rows_read,
                    st.rows_skipped,
                    st.billed,
                    st.effective,
                    st.list,
                    day_number(st.first_day) if st.first_day else None,
                    day_number(st.last_day) if st.last_day else None,
                    now,
                    info.execution,
                    info.manifest,
                    json.dumps(info.etags, sort_keys=True),
                ),
            )
            ids[key] = written[key] = int(cur.lastrowid or 0)
        return ids

    def _add_to_delivery(self, delivery_id: int, st: DeliveryStats, info: DeliveryInfo) -> None:
        """Fold another part of this ingest into a delivery row it already wrote."""
        row = self.conn.execute(
            "SELECT format, files, etags, execution_id, manifest FROM deliveries WHERE id = ?",
            (delivery_id,),
        ).fetchone()
        formats = sorted({*row[0].split(" + "), *st.format.split(" + ")} - {"unknown"})
        files = sorted({*json.loads(row[1]), *st.files})
        etags = {**json.loads(row[2]), **info.etags}
        self.conn.execute(
            "UPDATE deliveries SET format = ?, files = ?, etags = ?, "
            "rows_read = rows_read + ?, rows_skipped = rows_skipped + ?, billed = billed + ?, "
            "effective = effective + ?, list = list + ?, first_day = MIN(first_day, ?), "
            "last_day = MAX(last_day, ?), execution_id = ?, manifest = ? WHERE id = ?",
            (
                " + ".join(formats),
                json.dumps(files),
                json.dumps(dict(sorted(etags.items()))),
                st.rows_read,
                st.rows_skipped,
                st.billed,
                st.effective,
                st.list,
                day_number(st.first_day) if st.first_day else None,
                day_number(st.last_day) if st.last_day else None,
                row[3] or info.execution,
                row[4] or info.manifest,
                delivery_id,
            ),
        )

    def _coarse_deliveries(
        self, others: list[tuple[int, str]], incoming: DeliveryInfo | None
    ) -> list[tuple[int, str]]:
        """Return the Cost Explorer deliveries among ``others`` when ``incoming`` is finer."""
        if not others or incoming is None or incoming.format.startswith(COARSE_FORMAT):
            return []
        coarse = {
            r[0]
            for r in self.conn.execute(
                f"SELECT id FROM deliveries WHERE format LIKE ? AND id IN "
                f"({', '.join('?' * len(others))})",
                [COARSE_FORMAT + "%", *(i for i, _ in others)],
            )
        }
        return [o for o in others if o[0] in coarse]

    def _holds_any(self, delivery_id: int, charges: set[tuple[str, ...]]) -> bool:
        """Tell whether a stored delivery holds any of these charge identities."""
        rows = self.conn.execute(
            "SELECT g.sub_account, g.service, c.resource_id, c.sku FROM charges c "
            "JOIN cost_groups g ON g.id = c.group_id WHERE c.delivery_id = ?",
            (delivery_id,),
        )
        return any(tuple(r) in charges for r in rows)

    def _delete_delivery(self, delivery_id: int) -> None:
        """Delete one delivery and every row it brought."""
        conn = self.conn
        conn.execute("DELETE FROM charges WHERE delivery_id = ?", (delivery_id,))
        conn.execute(
            "DELETE FROM daily_group_costs WHERE group_id IN "
            "(SELECT id FROM cost_groups WHERE delivery_id = ?)",
            (delivery_id,),
        )
        conn.execute("DELETE FROM cost_groups WHERE delivery_id = ?", (delivery_id,))
        conn.execute("DELETE FROM deliveries WHERE id = ?", (delivery_id,))

    def _tagset_ids(self, texts: Iterable[str]) -> dict[str, int]:
        conn = self.conn
        out: dict[str, int] = {}
        for text in sorted(texts):  # new ids in a fixed order: the same input, the same store
            row = conn.execute("SELECT id FROM tagsets WHERE tags = ?", (text,)).fetchone()
            if row:
                out[text] = row[0]
                continue
            cur = conn.execute("INSERT INTO tagsets (tags) VALUES (?)", (text,))
            tid = int(cur.lastrowid or 0)
            conn.executemany(
                "INSERT INTO tags (key, value, tagset_id) VALUES (?, ?, ?)",
                ((k, v, tid) for k, v in json.loads(text).items()),
            )
            out[text] = tid
        return out

    def _next_id(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()[0])

    def _set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def cube_tags(self) -> tuple[str, ...]:
        """Return the allocation tags the summary cube was built with (empty for a new store)."""
        text = self.meta("cube_tags")
        return tuple(json.loads(text)) if text else ()

    def meta(self, key: str) -> str | None:
        """Return a meta value (e.g. ``cube_tags``, ``last_ingest_at``)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # -- reading -------------------------------------------------------------------------

    def data_through(self) -> datetime | None:
        """Return the end of the last day with cost data (UTC), the freshness users see."""
        row = self.conn.execute("SELECT MAX(last_day) FROM deliveries").fetchone()
        if not row or row[0] is None:
            return None
        end = day_date(row[0]) + timedelta(days=1)
        return datetime(end.year, end.month, end.day, tzinfo=UTC)

    def delivered(self, export: str, billing_period: str) -> Delivered | None:
        """Return what the store holds of ``export``'s ``billing_period`` (None if nothing).

        The record a sync compares with what S3 holds now: the execution id (or
        legacy CUR assembly id) and the ETag of every file read (local files:
        ``"<size>-<mtime ns>"``). ``export`` is the manifest's export ARN (legacy
        CUR: ``arn:aws:cur:us-east-1:<account>:definition/<report>``) or, for a
        delivery without a manifest, the folder or ``s3://`` prefix of the export,
        as :attr:`DeliveryStats.export` reports it after an ingest.
        """
        rows = self.conn.execute(
            "SELECT d.execution_id, d.manifest, d.files, d.etags, d.ingested_at, "
            "s.billing_account FROM deliveries d JOIN sources s ON s.id = d.source_id "
            "WHERE d.export = ? AND d.billing_period = ? ORDER BY s.billing_account",
            (export, billing_period),
        ).fetchall()
        if not rows:
            return None
        files: set[str] = set()
        etags: dict[str, str] = {}
        for _, _, file_list, etag_map, _, _ in rows:
            files.update(json.loads(file_list))
            etags.update(json.loads(etag_map))
        return Delivered(
            export=export,
            billing_period=billing_period,
            execution_id=rows[0][0],
            manifest=rows[0][1],
            files=tuple(sorted(files)),
            etags=dict(sorted(etags.items())),
            ingested_at=max(r[4] for r in rows),
            accounts=tuple(r[5] for r in rows),
        )

    def deliveries(self) -> list[dict[str, object]]:
        """Return one row per stored delivery (export, source, billing period) for status."""
        rows = self.conn.execute(
            "SELECT s.provider, s.billing_account, d.billing_period, d.format, d.rows_read, "
            "d.rows_skipped, d.billed, d.effective, d.list, d.ingested_at, d.export, "
            "d.execution_id FROM deliveries d JOIN sources s ON s.id = d.source_id "
            "ORDER BY d.billing_period, s.provider, s.billing_account, d.export"
        ).fetchall()
        cols = (
            "provider",
            "billing_account",
            "billing_period",
            "format",
            "rows_read",
            "rows_skipped",
            "billed",
            "effective",
            "list",
            "ingested_at",
            "export",
            "execution_id",
        )
        return [dict(zip(cols, r, strict=True)) for r in rows]


def _charge_identities(
    keys: Sequence[tuple[str, ...]], delivery: tuple[str, str, str, str]
) -> set[tuple[str, ...]]:
    """(usage account, service, resource, SKU) of a new delivery's charges.

    Two exports that share a payer (member accounts, filtered exports) hold
    disjoint charges; two that hold the same charge are copies or layouts of
    one bill, and adding them would double count.
    """
    export, provider, account, period = delivery
    pi, ai = 1 + KEY_COLUMNS.index("provider"), 1 + KEY_COLUMNS.index("billing_account")
    cols = [1 + KEY_COLUMNS.index(c) for c in ("sub_account", "service", "resource_id", "sku")]
    return {
        tuple(k[c] for c in cols)
        for k in keys
        if k[-2] == export and k[0] == period and k[pi] == provider and k[ai] == account
    }


def _deliveries_of(
    keys: Sequence[tuple[str, ...]],
) -> tuple[list[tuple[str, str, str, str]], np.ndarray]:
    """Return the sorted (export, provider, billing account, period) the keys belong to, and
    each key's position in that list (C-level maps over the keys, no Python loop)."""
    import numpy as np

    pi, ai = 1 + KEY_COLUMNS.index("provider"), 1 + KEY_COLUMNS.index("billing_account")
    of_key = list(map(itemgetter(-2, pi, ai, 0), keys))
    deliveries = sorted(dict.fromkeys(of_key))
    position = {d: i for i, d in enumerate(deliveries)}
    return deliveries, np.fromiter(map(position.__getitem__, of_key), np.int64, len(of_key))


def _key_chunks(daily: DailyAmounts, cells: int) -> Iterator[DailyAmounts]:
    """Cut sums sorted by key into slices of about ``cells`` rows, never inside a key."""
    import numpy as np

    n = len(daily.index)
    if n <= cells:
        yield daily
        return
    idx = daily.index
    starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
    cuts = np.unique(starts[np.searchsorted(starts, np.arange(cells, n, cells))]).tolist()
    for lo, hi in itertools.pairwise([0, *(c for c in cuts if 0 < c < n), n]):
        yield replace(
            daily,
            index=daily.index[lo:hi],
            day=daily.day[lo:hi],
            billed=daily.billed[lo:hi],
            effective=daily.effective[lo:hi],
            list=daily.list[lo:hi],
            lines=daily.lines[lo:hi],
        )


_BLANK = bytearray()  # bound for a NULL BLOB: NULLIF(?, x'') turns it back into NULL


def _insert_columns(
    conn: sqlite3.Connection, head: str, columns: Sequence[list[object]], blobs: int = 0
) -> None:
    """Insert rows given column by column, with multi-row ``VALUES`` statements (~1 000 values
    each).

    Far fewer statements to prepare and step than ``executemany`` row by row: about
    a third faster for the wide ``charges`` rows. The flat parameter list is filled
    one column at a time by slice assignment, never through per-row tuples.

    The last ``blobs`` columns are BLOBs (``bytes`` or None), bound as
    ``bytearray``: Python's sqlite3 binds int, float, str and bytearray directly
    but looks for an adapter for every ``bytes`` and ``None`` (a key tuple and
    attribute lookups, about 0.6 µs a value: a third of the charges insert on the
    bench org). A None is bound as an empty bytearray and stored as NULL by
    ``NULLIF(?, x'')`` (no daily vector is empty).
    """
    rows = len(columns[0]) if columns else 0
    if not rows:
        return
    width = len(columns)
    flat: list[object] = [None] * (rows * width)
    for j, column in enumerate(columns):
        if j >= width - blobs:
            column = [_BLANK if v is None else bytearray(v) for v in column]  # type: ignore[call-overload]
        flat[j::width] = column
    per = max(1, 999 // width)
    marks = ["?"] * (width - blobs) + ["NULLIF(?, x'')"] * blobs
    group = "(" + ",".join(marks) + ")"
    full = head + ",".join([group] * per)
    whole = rows - rows % per
    conn.executemany(full, (flat[i * width : (i + per) * width] for i in range(0, whole, per)))
    if whole < rows:
        conn.execute(head + ",".join([group] * (rows - whole)), flat[whole * width :])


def _insert_amounts(
    conn: sqlite3.Connection, table: str, id_col: str, base: int, rows: DailyAmounts
) -> None:
    """Insert (id, day, billed, effective, list) rows, many per statement.

    Multi-row ``INSERT … VALUES (…), (…)`` binds a flat list per statement: about
    three times the rows per second of ``executemany`` on a table of five integers.
    """
    import numpy as np

    n = len(rows.index)
    if n == 0:
        return
    flat = np.empty((n, 5), dtype=np.int64)
    flat[:, 0] = rows.index + base
    flat[:, 1] = rows.day
    flat[:, 2] = rows.billed
    flat[:, 3] = rows.effective
    flat[:, 4] = rows.list
    head = f"INSERT INTO {table} ({id_col}, day, billed, effective, list) VALUES "
    full = head + ",".join(["(?,?,?,?,?)"] * _ROWS_PER_INSERT)
    whole = n - n % _ROWS_PER_INSERT
    step = _ROWS_PER_INSERT * 256
    for start in range(0, whole, step):
        chunk = flat[start : min(start + step, whole)].reshape(-1, 5 * _ROWS_PER_INSERT).tolist()
        conn.executemany(full, chunk)
    if whole < n:
        rest = flat[whole:]
        conn.execute(head + ",".join(["(?,?,?,?,?)"] * len(rest)), rest.ravel().tolist())
