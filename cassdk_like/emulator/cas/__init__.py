"""The CAS vault service of the emulator (both dialects, CAS and Glacier, on one port).

Routing, operations, vault state (vaults, archives, uploads, jobs), the in-emulator COS bucket store
that push/pull jobs use, job callbacks, and the signature checks of both dialects.

Modules: ``service`` (CasService, the host's view), ``routes``, ``protocol`` (dialects, error body),
``auth``, ``ops_*`` (operations), ``context`` (what an operation gets), ``store`` / ``uploads`` /
``jobs`` / ``jobspec`` / ``joboutput`` / ``cos`` (state, no HTTP), ``schema`` (its tables),
``callbacks``, ``errors``, ``util``.

Choices where docs/vault-protocol.md is silent (each one is a constructor option where it matters):

* COS jobs complete against an in-emulator bucket store (``emu.cos``, ``/_emulator/cos/<b>/<key>``);
  buckets need no creation, ETags are SHA-256 hex. push-to-cos copies the (ranged) archive to the
  object; pull-from-cos makes a new archive from ``Range`` of the object, honouring If-Match,
  If-None-Match, If-Modified-Since and If-Unmodified-Since (also the page's "If-Umodified-Since").
  A missing object or failed precondition ends the job Failed. pull-from-cos waits the Expedited
  delay. The Glacier dialect offers only archive and inventory jobs.
* Zero-byte archives are refused (InvalidParameterValueException), like the original SDK;
  ``allow_empty_archives=True`` accepts them.
* Expedited retrievals only for archives up to 256 MiB (``expedited_max_bytes``; None lifts it).
* Signatures may be ``max_skew`` = 900 s ahead of the server clock; an ended q-sign window is expired.
* CSV inventory: header row ``ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash``,
  RFC 4180 quoting, CRLF. Inventories list archives in ArchiveId order; ``Marker`` is the first id
  of the next page, and a finished job's ``InventoryRetrievalParameters.Marker`` becomes that
  continuation marker (null when complete), as the CAS CLI expects.
* List markers name the next item: a VaultQCS/VaultARN (List Vaults), an upload or job id, or a part
  offset (List Parts). Unknown id markers are refused (400).
* Describe Vault counts and LastInventoryDate are null until the vault's first archive write (its
  "first inventory"), then live.
* Get Job Output of an unfinished, failed or COS job is InvalidParameterValueException; ``Range``
  must be ``bytes=a-b`` inside the output and always gives 206.
* A deleted archive still accepts jobs (they fail, docs/vault-protocol.md §1.2); an id never issued is 404.
* Jobs and uploads are kept 24 h (``retention``). Unknown fields in JSON bodies are refused by name.
* Tags: 50 per vault, keys 1-128 and values 0-256 characters (Glacier's; the CAS page's 1-10 looks
  wrong). Access and lock policies are stored and returned, not enforced.
* Admin endpoints need no signature; the emulator binds 127.0.0.1 by default.
"""
