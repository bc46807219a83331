"""Athena adapter: start a query, poll it to the end, page through its results.

Only aggregates come back (the SQL is built in :mod:`bot.sync.athena_sql`).
Polling uses an injected ``sleep`` so tests never wait; the adapter reports the
bytes scanned, which is what Athena bills ($5 per TB).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.errors import CostbotError

DONE = ("SUCCEEDED", "FAILED", "CANCELLED")


class AthenaError(CostbotError):
    """An Athena query could not be started, failed, or timed out."""

    def __init__(self, message: str, *, bytes_scanned: int = 0) -> None:
        super().__init__(message)
        self.bytes_scanned = bytes_scanned  # a failed query's scan is billed too


@dataclass
class AthenaResult:
    """A finished query: its id, bytes scanned and the pages of rows (header dropped)."""

    execution_id: str
    bytes_scanned: int
    columns: list[str]
    rows: Iterator[list[str | None]]


class AthenaQueries:
    """Run queries with an injected boto3 ``athena`` client."""

    def __init__(
        self,
        client: Any,
        *,
        sleep: Callable[[float], None],
        poll_seconds: float = 2.0,
        max_polls: int = 1800,
        page_size: int = 1000,
    ) -> None:
        self._client = client
        self._sleep = sleep
        self._poll = poll_seconds
        self._max_polls = max_polls
        self._page_size = page_size

    def run(
        self,
        sql: str,
        parameters: Sequence[str],
        *,
        database: str,
        workgroup: str,
        output: str | None,
    ) -> AthenaResult:
        """Start ``sql`` with execution parameters, wait for it, and return its results."""
        args: dict[str, Any] = {
            "QueryString": sql,
            "QueryExecutionContext": {"Database": database},
            "WorkGroup": workgroup,
        }
        if parameters:
            args["ExecutionParameters"] = list(parameters)
        if output:
            args["ResultConfiguration"] = {"OutputLocation": output}
        qid = self._call("start_query_execution", **args)["QueryExecutionId"]
        execution: dict[str, Any] = {}
        for _ in range(self._max_polls):
            execution = self._call("get_query_execution", QueryExecutionId=qid)["QueryExecution"]
            state = execution.get("Status", {}).get("State", "")
            if state in DONE:
                break
            self._sleep(self._poll)
        else:
            raise AthenaError(f"Athena query {qid} did not finish in time; the store is unchanged")
        scanned = int(execution.get("Statistics", {}).get("DataScannedInBytes", 0) or 0)
        if state != "SUCCEEDED":
            reason = execution.get("Status", {}).get("StateChangeReason", "no reason given")
            raise AthenaError(
                f"Athena query {qid} {state.lower()}: {reason} "
                f"({scanned} bytes scanned); the store is unchanged",
                bytes_scanned=scanned,
            )
        first = self._call("get_query_results", QueryExecutionId=qid, MaxResults=self._page_size)
        meta = first.get("ResultSet", {}).get("ResultSetMetadata", {}).get("ColumnInfo", [])
        columns = [c.get("Name", "") for c in meta]
        return AthenaResult(qid, scanned, columns, self._rows(qid, first, columns))

    def _rows(
        self, qid: str, page: dict[str, Any], columns: list[str]
    ) -> Iterator[list[str | None]]:
        header_seen = False
        while True:
            for row in page.get("ResultSet", {}).get("Rows", []):
                values = [d.get("VarCharValue") for d in row.get("Data", [])]
                if not header_seen:
                    header_seen = True
                    if values == columns:  # a SELECT's first row repeats the column names
                        continue
                yield values
            token = page.get("NextToken")
            if not token:
                return
            page = self._call(
                "get_query_results",
                QueryExecutionId=qid,
                MaxResults=self._page_size,
                NextToken=token,
            )

    def _call(self, name: str, **kwargs: Any) -> dict[str, Any]:
        try:
            result: dict[str, Any] = getattr(self._client, name)(**kwargs)
        except ClientError as exc:
            err = exc.response.get("Error", {})
            raise AthenaError(
                f"Athena {name}: {err.get('Code', 'error')}: {err.get('Message', '')}; "
                "the store is unchanged"
            ) from exc
        except BotoCoreError as exc:
            raise AthenaError(f"cannot reach Athena ({exc}); the store is unchanged") from exc
        return result
