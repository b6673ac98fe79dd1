"""The S3 service of the emulator (docs/bucket-protocol.md): the S3 REST API over the shared object
store (``emulator.objectstore``), with SigV4, presigned URLs and POST policies."""
