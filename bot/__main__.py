"""Entry point: `python -m bot`."""
import sys

from bot.adapters.cli import main

sys.exit(main())
