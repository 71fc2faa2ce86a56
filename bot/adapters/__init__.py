"""Front ends around `Engine.answer`; the Telegram adapter's parts live in `telegram/`."""
