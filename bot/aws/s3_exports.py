"""Read billing exports from S3 (CUR 2.0 / FOCUS deliveries under a prefix)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.errors import CostbotError

EXPORT_SUFFIXES = (".parquet", ".csv", ".csv.gz", ".gz", ".snappy.parquet")


class S3ReadError(CostbotError):
    """An S3 export could not be listed or downloaded."""


def split_s3_uri(uri: str) -> tuple[str, str]:
    """Split ``s3://bucket/prefix`` into bucket and prefix."""
    rest = uri.removeprefix("s3://")
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise S3ReadError(f"{uri!r} names no bucket; use s3://bucket/prefix")
    return bucket, prefix


class S3ExportSource:
    """List and download the export files under an S3 prefix with an injected client."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def list_files(self, uri: str) -> list[str]:
        """Return ``s3://`` URIs of the data files under ``uri`` (manifests skipped)."""
        bucket, prefix = split_s3_uri(uri)
        out: list[str] = []
        try:
            paginator = self._client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
                for obj in page.get("Contents", []):
                    key = obj["Key"]
                    if key.lower().endswith(EXPORT_SUFFIXES):
                        out.append(f"s3://{bucket}/{key}")
        except (ClientError, BotoCoreError) as exc:
            raise S3ReadError(
                f"cannot list {uri}: {_reason(exc)}; check the bucket name, "
                "credentials and AWS_ENDPOINT_URL, then retry"
            ) from exc
        if not out:
            raise S3ReadError(f"no .parquet/.csv/.csv.gz export files under {uri}")
        return sorted(out)

    @contextmanager
    def download(self, uri: str) -> Iterator[Path]:
        """Download one object to a temporary file that is removed afterwards."""
        bucket, key = split_s3_uri(uri)
        suffix = "".join(Path(key).suffixes[-2:]) or ".dat"
        with tempfile.TemporaryDirectory(prefix="costbot-s3-") as tmp:
            path = Path(tmp) / f"export{suffix}"
            try:
                self._client.download_file(bucket, key, str(path))
            except (ClientError, BotoCoreError) as exc:
                raise S3ReadError(
                    f"cannot download {uri}: {_reason(exc)}; retry the ingest"
                ) from exc
            yield path


def _reason(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return f"{err.get('Code', 'error')}: {err.get('Message', '')}".strip(": ")
    return str(exc)
