"""Parts of the Telegram adapter that hold no handler: logs, throttle, sending, chats, buttons."""
