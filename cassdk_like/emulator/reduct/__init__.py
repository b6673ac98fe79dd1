"""The ReductStore HTTP API v1 (server 1.21) as a service of the emulator host.

``service`` plugs it into the host; ``routes`` maps paths to operations; ``auth`` holds the tokens
and permission policies; ``store`` the buckets, entries and records (bodies as blob files);
``batch`` the batch header formats (v1 and v2); ``query`` the query registry and ``when``
conditions; ``ops_*`` the operations. The protocol is described in docs/reduct-protocol.md.
"""
