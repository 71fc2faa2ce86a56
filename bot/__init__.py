"""Question answering over one 2013 article on Shanxi trade unions, with cited figures."""

__version__ = "0.1.0"
