"""The CAS vault service of the emulator (both dialects, CAS and Glacier, on one port).

Routing, operations, vault state (vaults, archives, uploads, jobs), the in-emulator COS bucket store
that push/pull jobs use, job callbacks, and the signature checks of both dialects.
"""
