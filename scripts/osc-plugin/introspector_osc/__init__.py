"""OpenStack client commands for Introspector that the upstream clients lack."""
