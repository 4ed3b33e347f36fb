"""newswatch: watch news feeds for reports that confirm, update or contradict a baseline article."""

__version__ = "0.1.0"
