"""The web dashboard at ``/dashboard/`` (``docs/dashboard.md``)."""
