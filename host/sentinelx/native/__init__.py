"""Native messaging: framing on binary stdio and the host's message loop."""
