"""One small module per provider, all on the shared base and the one safe GET."""
