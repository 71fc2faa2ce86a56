"""The answering stages, one module each (see README "How it answers")."""
