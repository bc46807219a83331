"""List export objects under an S3 prefix with their ETags: the S3 sync's one LIST."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.aws.s3_exports import EXPORT_SUFFIXES, S3ReadError, split_s3_uri


def list_export_objects(client: Any, uri: str) -> list[tuple[str, str, int]]:
    """Return (``s3://`` URI, ETag, size) of every data file and manifest under ``uri``."""
    bucket, prefix = split_s3_uri(uri)
    out: list[tuple[str, str, int]] = []
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                key = obj["Key"]
                if key.lower().endswith((*EXPORT_SUFFIXES, "manifest.json")):
                    out.append((f"s3://{bucket}/{key}", str(obj.get("ETag", "")), int(obj["Size"])))
    except (ClientError, BotoCoreError) as exc:
        raise S3ReadError(f"cannot list {uri}: {exc}") from exc
    return sorted(out)
