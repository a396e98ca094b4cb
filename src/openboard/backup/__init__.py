"""Backups of a whole board: the database and the artifacts in one archive with a manifest."""

from openboard.backup._archive import (
    MANIFEST_NAME,
    BackupManifest,
    ManifestFile,
    create_backup,
    read_manifest,
    restore_backup,
)

__all__ = [
    "MANIFEST_NAME",
    "BackupManifest",
    "ManifestFile",
    "create_backup",
    "read_manifest",
    "restore_backup",
]
