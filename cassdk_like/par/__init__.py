"""PARs: sealed, serialisable, expiring pre-authenticated requests for objects and buckets.

A PAR carries presigned URLs (or a POST form) of S3 or COS, sealed to its recipient's X25519
public key or under a passphrase, with its uid, kind, key, permissions and expiry bound to the seal
(docs/par.md). ``create_par(bucket, ...)`` makes one; the recipient uses it with ``ObjectReader``
(parallel, verified, resumable download), ``ObjectWriter`` (one streamed PUT) or ``BucketWriter``
(a POST under the PAR's key prefix). Importing this package registers ``create_par`` as the
factory behind ``Bucket.create_par`` (the bucket package cannot import this one)::

    pair = PARKeyPair.generate()                       # the recipient's; they share public_pem()
    par = bucket.create_par("report.pdf", readable=True, duration=900, encrypt_key=pair.public_pem())
    text = par.to_json()                               # send it; only the pair can open it
    ObjectReader(PAR.from_data(text), pair).get_object_as_file("report.pdf")

The sealing, grant-registry and presigned-request building blocks are public too, for services
that seal documents of their own with the same code (the transfer manager's shared tokens).
"""

from cassdk_like.bucket import register_par_factory
from cassdk_like.par.create import DEFAULT_DURATION, create_par
from cassdk_like.par.errors import (
    PARError,
    PARKeyError,
    PARNotRevocableWarning,
    PARPassphraseError,
    PARPermissionsError,
    PARReadError,
    PARRevocationError,
    PARSealError,
    PARTamperedError,
    PARTimeoutError,
    PARTransferError,
    PARWriteError,
)
from cassdk_like.par.grant import Grant, PostForm, signature_digests
from cassdk_like.par.http import par_request, par_transport
from cassdk_like.par.keys import MIN_PASSPHRASE_LENGTH, PARKeyPair, Passphrase
from cassdk_like.par.par import FORMAT_VERSION, PAR, CloseResult
from cassdk_like.par.registry import amend as amend_grant
from cassdk_like.par.registry import describe as describe_grant
from cassdk_like.par.registry import register as register_grant
from cassdk_like.par.sealing import canonical, has_hpke, open_sealed, seal_to_key, seal_with_passphrase
from cassdk_like.par.transfer import (
    BucketReader,
    BucketWriter,
    ObjectReader,
    ObjectWriter,
    UploadedThroughPAR,
    check_par_key,
)

__all__ = [
    "DEFAULT_DURATION",
    "FORMAT_VERSION",
    "MIN_PASSPHRASE_LENGTH",
    "PAR",
    "BucketReader",
    "BucketWriter",
    "CloseResult",
    "Grant",
    "ObjectReader",
    "ObjectWriter",
    "PARError",
    "PARKeyError",
    "PARKeyPair",
    "PARNotRevocableWarning",
    "PARPassphraseError",
    "PARPermissionsError",
    "PARReadError",
    "PARRevocationError",
    "PARSealError",
    "PARTamperedError",
    "PARTimeoutError",
    "PARTransferError",
    "PARWriteError",
    "Passphrase",
    "PostForm",
    "UploadedThroughPAR",
    "amend_grant",
    "canonical",
    "check_par_key",
    "create_par",
    "describe_grant",
    "has_hpke",
    "open_sealed",
    "par_request",
    "par_transport",
    "register_grant",
    "seal_to_key",
    "seal_with_passphrase",
    "signature_digests",
]

register_par_factory(create_par)
