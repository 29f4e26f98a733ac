"""What both HTTP APIs (native ``registry.api``, Eureka ``eureka_compat``) share.

The two APIs meet only here and in the store; neither imports the other, and
nothing here imports either of them. The modules:

* :mod:`.views`: :class:`~.views.NamespacedView` (namespace, catalog, lean dispatch)
  and :func:`~.views.cached_response`;
* :mod:`.cache` and :mod:`.fragments`: rendered bodies cached by revision (served
  as :class:`~.cache.CachedBodyResponse`), and the per-instance encoded elements
  they are joined from;
* :mod:`.errors`: :class:`~.errors.RegistryError`, :class:`~.errors.JsonResponse`
  and :class:`~.errors.ErrorFormat`, which each API subclasses for its error bodies;
* :mod:`.apis`: which API answers which path prefix (its error format, its checks);
* :mod:`.authentication`: the bearer-token authentication both APIs use;
* :mod:`.transport`: how a request reached us (scheme, host), the body limit;
* :mod:`.context`: the typed per-request context the middleware and views share;
* :mod:`.middleware`: single-purpose middleware, listed in order in the settings;
* :mod:`.openapi`: OpenAPI helpers (parameters, the ``bearerAuth`` scheme).
"""
