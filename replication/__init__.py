"""A replicated cluster of in-memory registry nodes (spec §10, decisions Q21/Q23/Q24).

Modules, innermost first:

* :mod:`replication.wire`: the original's bytes: store-instance JSON, the nested
  base64 messages, Server-Sent-Events frames and their parser;
* :mod:`replication.members`: membership through the shared directory (§10.2);
* :mod:`replication.state`: counters and the ``CLUSTER`` / ``REPLICATION`` health;
* :mod:`replication.hub`: the outgoing event ring and its subscribers;
* :mod:`replication.server`: ``GET /v1/replication`` and ``GET /v1/sync``;
* :mod:`replication.peers`: the streams this node reads from its peers;
* :mod:`replication.applier`: received messages applied to the local store;
* :mod:`replication.catalog`: the wrapper that publishes every local write;
* :mod:`replication.node`: the background service tying them together;
* :mod:`replication.plugin`: the registry plug-in (does nothing unless
  ``replication`` is on).
"""
