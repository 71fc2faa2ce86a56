"""Front ends around `Engine.answer`: the command line, the console chat, `explain`, and the
Telegram adapter in `telegram/`, with the command table they share."""
