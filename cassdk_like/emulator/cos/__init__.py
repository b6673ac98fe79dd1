"""The Tencent COS service of the emulator (docs/bucket-protocol.md §7): the XML API over the shared
object store (``emulator.objectstore``), with q-sign and the bucket in the Host header."""
