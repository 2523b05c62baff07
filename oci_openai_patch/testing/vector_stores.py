"""Vector stores, their files and file batches, as the local endpoint keeps them.

OCI Generative AI manages vector stores on its control plane
(``generativeai.<region>.../20231130/openai/v1``: create, list, retrieve, update, delete,
each IAM-signed; create and list need ``opc-compartment-id``), while the data plane
serves their files and search. Both planes share these objects here, found by id; a
store remembers the compartment it was created in, and lists show only that compartment's.
Search is a deterministic word match over the files' text: no model, no network.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .pages import Reply, error, new_id, page

#: Looks a file id up in the files the data plane holds: (metadata, content), or None.
FileLookup = Callable[[str], "tuple[dict[str, Any], bytes] | None"]


@dataclass
class _Store:
    meta: dict[str, Any]
    compartment: str
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)


def _words(text: str) -> set[str]:
    return {word for word in re.findall(r"[a-z0-9]+", text.lower()) if len(word) > 2}


def _chunks(text: str) -> list[str]:
    """Paragraphs, as a chunking strategy would cut a small document."""
    return [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()] or [text.strip()]


class VectorStores:
    """The vector stores of one endpoint; thread-safe."""

    def __init__(self, find_file: FileLookup) -> None:
        self._stores: dict[str, _Store] = {}
        self._find_file = find_file
        self._lock = threading.Lock()

    # -- routing ---------------------------------------------------------------------

    def handle(
        self, method: str, rest: list[str], body: dict[str, Any], query: dict[str, str], compartment: str | None
    ) -> Reply:
        """``rest``: the path after ``/vector_stores``. ``compartment`` is None on the data plane,
        which does not create or list stores."""
        if not rest:
            if compartment is None:
                return error(404, "NotFound", "Vector stores are created and listed on the control plane")
            if not compartment:
                return error(400, "MissingParameter", "The opc-compartment-id header is required")
            if method == "POST":
                return Reply(200, self._create(body, compartment))
            if method == "GET":
                mine = [store.meta for store in self._stores.values() if store.compartment == compartment]
                return Reply(200, _listed(mine, query))
            return error(405, "MethodNotAllowed", f"{method} /vector_stores")
        store = self._stores.get(rest[0])
        if store is None:
            return error(404, "NotFound", f"Vector store {rest[0]} not found")
        if len(rest) == 1:
            if method == "GET":
                return Reply(200, store.meta)
            if method == "POST":
                for name in ("name", "metadata", "expires_after"):
                    if name in body:
                        store.meta[name] = body[name]
                return Reply(200, store.meta)
            if method == "DELETE":
                with self._lock:
                    del self._stores[rest[0]]
                return Reply(200, {"id": rest[0], "object": "vector_store.deleted", "deleted": True})
        if rest[1:] == ["search"] and method == "POST":
            return Reply(200, self._search_page(store, body))
        if rest[1] == "files":
            return self._files(method, store, rest[2:], body, query)
        if rest[1] == "file_batches":
            return self._batches(method, store, rest[2:], body, query)
        return error(404, "NotFound", f"No route for {method} /vector_stores/{'/'.join(rest)}")

    # -- stores ----------------------------------------------------------------------

    def _create(self, body: dict[str, Any], compartment: str) -> dict[str, Any]:
        now = int(time.time())
        meta: dict[str, Any] = {
            "id": new_id("vs"),
            "object": "vector_store",
            "created_at": now,
            "last_active_at": now,
            "name": body.get("name") or "",
            "metadata": body.get("metadata") or {},
            "status": "completed",
            "usage_bytes": 0,
            "expires_after": body.get("expires_after"),
            "expires_at": None,
            "file_counts": _counts(0),
        }
        store = _Store(meta, compartment)
        with self._lock:
            self._stores[meta["id"]] = store
        for file_id in body.get("file_ids") or []:
            self._attach(store, str(file_id), {})
        return meta

    def _refresh_counts(self, store: _Store) -> None:
        files = list(store.files.values())
        store.meta["file_counts"] = _counts(len(files))
        store.meta["usage_bytes"] = sum(int(f["usage_bytes"]) for f in files)

    # -- files -----------------------------------------------------------------------

    def _attach(self, store: _Store, file_id: str, attributes: dict[str, Any]) -> dict[str, Any] | None:
        found = self._find_file(file_id)
        if found is None:
            return None
        entry = {
            "id": file_id,
            "object": "vector_store.file",
            "created_at": int(time.time()),
            "vector_store_id": store.meta["id"],
            "status": "completed",
            "usage_bytes": len(found[1]),
            "last_error": None,
            "attributes": attributes,
            "chunking_strategy": {
                "type": "static",
                "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400},
            },
        }
        store.files[file_id] = entry
        self._refresh_counts(store)
        return entry

    def _files(self, method: str, store: _Store, rest: list[str], body: dict[str, Any], query: dict[str, str]) -> Reply:
        if not rest:
            if method == "POST":
                entry = self._attach(store, str(body.get("file_id", "")), body.get("attributes") or {})
                if entry is None:
                    return error(404, "NotFound", f"File {body.get('file_id')} not found")
                return Reply(200, entry)
            if method == "GET":
                return Reply(200, _listed(list(store.files.values()), query))
        entry = store.files.get(rest[0]) if rest else None
        if entry is None:
            return error(404, "NotFound", f"File {rest[0] if rest else ''} not in vector store {store.meta['id']}")
        if len(rest) == 1 and method == "GET":
            return Reply(200, entry)
        if len(rest) == 1 and method == "POST":
            entry["attributes"] = body.get("attributes") or {}
            return Reply(200, entry)
        if len(rest) == 1 and method == "DELETE":
            del store.files[rest[0]]
            self._refresh_counts(store)
            return Reply(200, {"id": rest[0], "object": "vector_store.file.deleted", "deleted": True})
        if rest[1:] == ["content"] and method == "GET":
            found = self._find_file(rest[0])
            text = found[1].decode("utf-8", "replace") if found else ""
            return Reply(200, page([{"type": "text", "text": text}], ids=False))
        return error(404, "NotFound", f"No route for {method} vector store file {'/'.join(rest)}")

    def _batches(
        self, method: str, store: _Store, rest: list[str], body: dict[str, Any], query: dict[str, str]
    ) -> Reply:
        if not rest and method == "POST":
            ids = [str(i) for i in body.get("file_ids") or []]
            ids += [str(f.get("file_id")) for f in body.get("files") or [] if isinstance(f, dict)]
            attached = [self._attach(store, i, body.get("attributes") or {}) for i in ids]
            batch = {
                "id": new_id("vsfb"),
                "object": "vector_store.files_batch",
                "created_at": int(time.time()),
                "vector_store_id": store.meta["id"],
                "status": "completed",
                "file_counts": {**_counts(sum(1 for a in attached if a)), "failed": sum(1 for a in attached if not a)},
                "_files": [i for i, a in zip(ids, attached, strict=True) if a],
            }
            batch["file_counts"]["total"] = len(ids)
            store.batches[batch["id"]] = batch
            return Reply(200, _public(batch))
        found = store.batches.get(rest[0]) if rest else None
        if found is None:
            return error(404, "NotFound", f"File batch {rest[0] if rest else ''} not found")
        batch = found
        if len(rest) == 1 and method == "GET":
            return Reply(200, _public(batch))
        if rest[1:] == ["cancel"] and method == "POST":
            if batch["status"] == "in_progress":
                batch["status"] = "cancelled"
            return Reply(200, _public(batch))
        if rest[1:] == ["files"] and method == "GET":
            return Reply(200, _listed([store.files[i] for i in batch["_files"] if i in store.files], query))
        return error(404, "NotFound", f"No route for {method} file batch {'/'.join(rest)}")

    # -- search ----------------------------------------------------------------------

    def search(self, store_ids: list[str], query: str, limit: int = 10) -> list[dict[str, Any]]:
        """The chunks of the stores' files that share words with ``query``, best first."""
        wanted = _words(query)
        results = []
        for store_id in store_ids:
            store = self._stores.get(store_id)
            if store is None:
                continue
            for file_id, entry in store.files.items():
                found = self._find_file(file_id)
                if found is None:
                    continue
                for chunk in _chunks(found[1].decode("utf-8", "replace")):
                    shared = len(wanted & _words(chunk))
                    if shared or not wanted:
                        score = round(shared / max(len(wanted), 1), 4)
                        results.append((score, found[0], entry, chunk))
        results.sort(key=lambda r: -r[0])
        return [
            {
                "file_id": meta["id"],
                "filename": meta.get("filename", ""),
                "score": score,
                "attributes": entry.get("attributes") or {},
                "text": chunk,
            }
            for score, meta, entry, chunk in results[:limit]
        ]

    def knows(self, store_id: str) -> bool:
        return store_id in self._stores

    def _search_page(self, store: _Store, body: dict[str, Any]) -> dict[str, Any]:
        query = body.get("query", "")
        text = " ".join(query) if isinstance(query, list) else str(query)
        found = self.search([store.meta["id"]], text, int(body.get("max_num_results") or 10))
        return {
            "object": "vector_store.search_results.page",
            "search_query": [text],
            "data": [
                {**{k: v for k, v in r.items() if k != "text"}, "content": [{"type": "text", "text": r["text"]}]}
                for r in found
            ],
            "has_more": False,
            "next_page": None,
        }


def _counts(completed: int) -> dict[str, int]:
    return {"in_progress": 0, "completed": completed, "failed": 0, "cancelled": 0, "total": completed}


def _public(batch: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in batch.items() if not k.startswith("_")}


def _listed(items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    """A cursor page as openai reads one: ``order`` by creation, ``after`` an id, ``limit``."""
    ordered = sorted(items, key=lambda item: (item.get("created_at", 0), item["id"]))
    if query.get("order", "desc") == "desc":
        ordered.reverse()
    after = query.get("after")
    if after:
        ids = [item["id"] for item in ordered]
        ordered = ordered[ids.index(after) + 1 :] if after in ids else []
    limit = max(1, min(int(query.get("limit") or 20), 100))
    return {**page(ordered[:limit]), "has_more": len(ordered) > limit}
