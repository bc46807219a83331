"""Read billing exports from S3 (CUR 2.0 / FOCUS deliveries under a prefix)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.costs.deliveries import FoundFile, is_data_name
from bot.errors import CostbotError


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

    def list_objects(self, uri: str) -> list[FoundFile]:
        """List every object under ``uri`` with its ETag and modification time.

        The prefix is a folder: ``s3://b/exports/cur2`` lists ``exports/cur2/…``,
        never the sibling export ``exports/cur2-hourly/``. A URI naming one
        object gives that object.
        """
        bucket, prefix = split_s3_uri(uri)
        folder = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        out: list[FoundFile] = []
        try:
            paginator = self._client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=bucket, Prefix=folder):
                for obj in page.get("Contents", []):
                    out.append(_found(bucket, obj))
            if not out and prefix and not prefix.endswith("/"):
                try:
                    head = self._client.head_object(Bucket=bucket, Key=prefix)
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey"):
                        raise
                else:
                    out.append(
                        _found(
                            bucket,
                            {
                                "Key": prefix,
                                "ETag": head.get("ETag", ""),
                                "LastModified": head.get("LastModified"),
                            },
                        )
                    )
        except (ClientError, BotoCoreError) as exc:
            raise S3ReadError(
                f"cannot list {uri}: {_reason(exc)}; check the bucket name, "
                "credentials and AWS_ENDPOINT_URL, then retry"
            ) from exc
        if not any(is_data_name(f.name) for f in out):
            raise S3ReadError(f"no .parquet/.csv/.csv.gz export files under {uri}")
        return sorted(out, key=lambda f: f.name)

    def list_files(self, uri: str) -> list[str]:
        """Return ``s3://`` URIs of the data files under ``uri`` (manifests skipped)."""
        return [f.name for f in self.list_objects(uri) if is_data_name(f.name)]

    def read_text(self, uri: str) -> str:
        """Return a small object's text (a delivery manifest)."""
        bucket, key = split_s3_uri(uri)
        try:
            body = self._client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except (ClientError, BotoCoreError) as exc:
            raise S3ReadError(f"cannot read {uri}: {_reason(exc)}; retry the ingest") from exc
        return bytes(body).decode("utf-8-sig")

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


def _found(bucket: str, obj: dict[str, Any]) -> FoundFile:
    modified = obj.get("LastModified")
    return FoundFile(
        f"s3://{bucket}/{obj['Key']}",
        str(obj.get("ETag", "")).strip('"'),
        modified.timestamp() if modified is not None else 0.0,
    )


def _reason(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return f"{err.get('Code', 'error')}: {err.get('Message', '')}".strip(": ")
    return str(exc)
