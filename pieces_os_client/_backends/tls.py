"""The one TLS setup every transport uses: a ``Configuration`` turned into an ``SSLContext``.

The urllib3 pool (:mod:`pieces_os_client.rest`), the aiohttp client
(:mod:`pieces_os_client.aio.api_client`) and both WebSocket clients
(:mod:`pieces_os_client.stream`, :mod:`pieces_os_client.aio.stream`) each ask
:func:`tls_context` for a context of their own and use it as it is, so a call and a stream to
the same ``https://`` host trust, present and check exactly the same certificates.

What it reads:

- the scheme of ``host`` (any case: ``HTTPS://`` is ``https://``): None for ``http://``;
- ``verify_ssl``: False trusts any certificate, for any name (``CERT_NONE``, no name check);
- ``ssl_ca_cert`` (a file) and ``ca_cert_data`` (PEM text or DER bytes): the CA certificates
  trusted instead of the system's;
- ``cert_file`` and ``key_file``: the client certificate and its key (``key_file`` may be left
  out when ``cert_file`` holds both);
- ``assert_hostname``: False keeps verifying the certificate but not the name it is for.

``tls_server_name`` is not part of the context: each transport sends it as the name to ask
for (SNI) and to check the certificate against (:func:`server_hostname`).
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, Optional

from pieces_os_client._core.host import parse_host
from pieces_os_client.exceptions import ApiValueError

if TYPE_CHECKING:
    from pieces_os_client.configuration import Configuration


def tls_context(configuration: Configuration) -> Optional[ssl.SSLContext]:
    """A new ``SSLContext`` for ``configuration``'s host, or None for an ``http://`` host.

    Each call builds a new context: the transports adjust theirs (urllib3 sets its ALPN
    protocols), so none is shared. A CA file or client certificate that cannot be loaded
    raises :class:`~pieces_os_client.exceptions.ApiValueError` naming the setting.

    Example::

        >>> import ssl
        >>> from pieces_os_client import Configuration
        >>> from pieces_os_client._backends.tls import tls_context
        >>> tls_context(Configuration(host="http://localhost:1000")) is None
        True
        >>> insecure = Configuration(host="HTTPS://localhost:1000")
        >>> insecure.verify_ssl = False
        >>> context = tls_context(insecure)
        >>> context.verify_mode == ssl.CERT_NONE, context.check_hostname
        (True, False)
    """
    if parse_host(configuration.host).scheme != "https":
        return None
    cafile = configuration.ssl_ca_cert or None
    cadata = configuration.ca_cert_data or None
    try:
        # Either given, the system's CA certificates are not loaded (as urllib3 does).
        if cafile or not cadata:
            context = ssl.create_default_context(cafile=cafile)
        else:
            context = ssl.create_default_context(cadata=cadata)
    except (OSError, ValueError, TypeError) as error:  # ssl.SSLError is an OSError
        raise _unloadable("ssl_ca_cert" if cafile else "ca_cert_data", error) from None
    if cafile and cadata:
        try:
            context.load_verify_locations(cadata=cadata)
        except (OSError, ValueError, TypeError) as error:
            raise _unloadable("ca_cert_data", error) from None
    if configuration.cert_file:
        try:
            context.load_cert_chain(configuration.cert_file, configuration.key_file or None)
        except (OSError, ValueError) as error:
            raise ApiValueError(
                f"cert_file / key_file could not be loaded as a client certificate and its "
                f"key ({error}); give PEM files (key_file may be left out when cert_file holds "
                f"both)"
            ) from None
    elif configuration.key_file:
        raise ApiValueError("key_file is set but cert_file is not: set both, or neither")
    if not configuration.verify_ssl:
        context.check_hostname = False  # must go first: CERT_NONE refuses a name check
        context.verify_mode = ssl.CERT_NONE
    elif configuration.assert_hostname is False:
        context.check_hostname = False
    return context


def server_hostname(configuration: Configuration) -> Optional[str]:
    """``tls_server_name``: the name sent in the handshake (SNI) and checked against the
    certificate instead of the host's, or None to use the host's own.

    Example::

        >>> from pieces_os_client import Configuration
        >>> from pieces_os_client._backends.tls import server_hostname
        >>> config = Configuration(host="https://127.0.0.1:1000")
        >>> config.tls_server_name = "localhost"
        >>> server_hostname(config)
        'localhost'
    """
    return configuration.tls_server_name or None


def _unloadable(setting: str, error: Exception) -> ApiValueError:
    what = "the path of a PEM file" if setting == "ssl_ca_cert" else "PEM text or DER bytes"
    return ApiValueError(f"{setting} could not be loaded as CA certificates ({error}); give {what}")
