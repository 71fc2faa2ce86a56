"""What the bot knows and how it is stored: facts, numbers, words, the encoders and the index.

Imports neither bot.pipeline nor bot.adapters nor bot.build."""
