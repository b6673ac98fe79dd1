"""High level: ``CasAPI`` (raises typed errors, returns ``CASResponse``) and the domain objects."""

from cassdk_like.highlevel.api import CasAPI
from cassdk_like.highlevel.response import CASResponse

__all__ = ["CASResponse", "CasAPI"]
