"""The Arrow schema of the `quarantine` table, shared by everything that quarantines.

    rows = [{"quarantine_id": ..., "platform": ..., "evidence_id": ..., "url": ...,
             "item_ref": ..., "error": ..., "created_at": utcnow()}]
    store.upsert("quarantine", pa.Table.from_pylist(rows, schema=QUARANTINE_SCHEMA),
                 key=["quarantine_id"], update=True)

Writers: the collectors' page commits (`collectors.commit`: a page or an item of it that could
not be used) and the media download (`media.download`: ``item_ref = 'media'``, an image URL).
Kept in the store package, beside the table's DDL, so neither writer reaches into the other.
"""

from __future__ import annotations

import pyarrow as pa

# Column for column the `quarantine` table of migrations/001_initial.sql.
QUARANTINE_SCHEMA = pa.schema([
    ("quarantine_id", pa.string()), ("platform", pa.string()), ("evidence_id", pa.string()),
    ("url", pa.string()), ("item_ref", pa.string()), ("error", pa.string()),
    ("created_at", pa.timestamp("us", tz="UTC")),
])

__all__ = ["QUARANTINE_SCHEMA"]
