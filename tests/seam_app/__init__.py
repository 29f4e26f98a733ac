"""A test app that plugs into the store seam (registry.plugins) the way the
replication and catalog apps do: a wrapper that counts writes, a read-only
source, a registration rule and a background service."""
