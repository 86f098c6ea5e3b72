"""The one exception type the CLI turns into a Dutch message and a non-zero exit code."""

import errno


class UserError(Exception):
    """Bad input or an unusable environment; the message is Dutch and shown as is."""

    exit_code = 2


# What the operating system says about a file, in Dutch (its own words, strerror, are English).
_REASONS = {
    errno.ENOENT: "het bestand of de map bestaat niet",
    errno.ENOTDIR: "een deel van het pad is een bestand, geen map",
    errno.EISDIR: "het is een map",
    errno.EACCES: "geen toegang",
    errno.EPERM: "niet toegestaan",
    errno.ENOSPC: "de schijf is vol",
    errno.EDQUOT: "het schijfquotum is op",
    errno.EROFS: "de schijf is alleen-lezen",
    errno.EIO: "lees- of schrijffout van de schijf",
    errno.ENAMETOOLONG: "de naam is te lang",
}


def reason(exc: OSError) -> str:
    return _REASONS.get(exc.errno, exc.strerror or str(exc))
