"""The one exception type the CLI turns into a Dutch message and a non-zero exit code."""


class UserError(Exception):
    """Bad input or an unusable environment; the message is Dutch and shown as is."""

    exit_code = 2
