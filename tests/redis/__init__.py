"""End-to-end and fault tests of the registry on real Redis servers."""
