"""Prometheus metrics at ``/metrics`` (``docs/metrics.md``).

An app of its own, plugged in like the others (:mod:`registry.plugins`): when the
``metrics`` setting is off it adds nothing to the request path (its middleware
removes itself from the chain at start-up, its plug-in wraps no catalog) and
``/metrics`` answers 404.

* :mod:`metrics.instruments`: the metrics this process updates (requests, writes,
  expiry, store calls), one set per runtime;
* :mod:`metrics.middleware`: requests by route template, method and status class;
* :mod:`metrics.catalog`: writes, expiry and store calls, around each namespace's
  catalog;
* :mod:`metrics.collector`: what is computed at scrape time (instances and services
  per namespace from the store, health components, plug-ins' own figures);
* :mod:`metrics.multiprocess`: prometheus-client's multiprocess mode when the server
  runs several worker processes;
* :mod:`metrics.views`: the ``/metrics`` endpoint and its optional bearer token.
"""
