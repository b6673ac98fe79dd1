"""The object store both bucket services share: buckets, objects, multipart uploads and tags in
the emulator's database, the operations in S3's semantics, and what differs per dialect
(``dialect.Dialect``). The ``s3`` and ``cos`` services add addressing, signatures, the body
envelope and the error document (docs/bucket-protocol.md).

Modules: ``records`` (tables and rows), ``store`` (buckets, objects), ``uploads`` (multipart),
``listing`` (keys, prefixes, tokens), ``conditions`` (If-* and ranges), ``digests`` and ``ingest``
(checksums while a body streams to disk), ``attributes`` (metadata, tags), ``xmldoc``,
``routes``, ``ops_*`` (the operations), ``service`` (the shared half of a service).
"""
