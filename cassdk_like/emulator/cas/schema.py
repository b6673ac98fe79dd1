"""The CAS service's tables in the shared index, and the query naming every blob they refer to."""

from __future__ import annotations

__all__ = ["REFERENCED_BLOBS", "SCHEMA"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS vaults(
    name TEXT PRIMARY KEY, created REAL NOT NULL, last_inventory REAL,
    policy TEXT, notifications TEXT, lock TEXT, tags TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS archives(
    id TEXT PRIMARY KEY, vault TEXT NOT NULL, size INTEGER NOT NULL, tree_hash TEXT NOT NULL,
    description TEXT, created REAL NOT NULL, blob TEXT, deleted INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS archives_by_vault ON archives(vault, deleted, id);
CREATE TABLE IF NOT EXISTS uploads(
    id TEXT PRIMARY KEY, vault TEXT NOT NULL, part_size INTEGER NOT NULL, description TEXT,
    created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS parts(
    upload_id TEXT NOT NULL, start INTEGER NOT NULL, size INTEGER NOT NULL, tree_hash TEXT NOT NULL,
    blob TEXT NOT NULL, PRIMARY KEY(upload_id, start));
CREATE TABLE IF NOT EXISTS jobs(
    id TEXT PRIMARY KEY, vault TEXT NOT NULL, created REAL NOT NULL, due REAL NOT NULL,
    doc TEXT NOT NULL, state TEXT NOT NULL, output TEXT, finished REAL);
CREATE TABLE IF NOT EXISTS cos_objects(
    bucket TEXT NOT NULL, key TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
    modified REAL NOT NULL, blob TEXT NOT NULL, PRIMARY KEY(bucket, key));
"""

REFERENCED_BLOBS = """
SELECT blob FROM archives WHERE blob IS NOT NULL UNION SELECT blob FROM parts
UNION SELECT output FROM jobs WHERE output IS NOT NULL UNION SELECT blob FROM cos_objects
"""
