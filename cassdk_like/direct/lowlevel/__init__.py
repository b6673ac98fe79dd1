"""DirectIO's low level: raw HTTP, one method per request."""

from cassdk_like.direct.lowlevel.client import DEFAULT_TIMEOUT, DirectIOHTTP, split_baseurl

__all__ = ["DEFAULT_TIMEOUT", "DirectIOHTTP", "split_baseurl"]
