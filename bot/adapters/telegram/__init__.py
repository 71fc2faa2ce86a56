"""The Telegram adapter: `app` assembles and runs it; handlers, sending, throttling, chats and buttons."""
