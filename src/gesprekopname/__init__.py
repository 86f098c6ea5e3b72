"""gesprekopname: loopbaangesprekken offline transcriberen, in fasen verdelen en samenvatten."""

__version__ = "0.1.0"
