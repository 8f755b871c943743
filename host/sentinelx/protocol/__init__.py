"""The wire contract: JSON Schemas under schemas/ are the single source of truth."""
