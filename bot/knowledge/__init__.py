"""What the bot knows and how it is built: the verifier's training (build path only)."""
