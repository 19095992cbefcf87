"""flexcord: a brand's Discord community as the front door of its Twilio Flex contact center."""

__version__ = "0.1.0"
