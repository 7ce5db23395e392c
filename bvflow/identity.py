"""Who is at the keyboard, as the operating system knows it (not as anyone may type it)."""

from __future__ import annotations

import os
import pwd


def os_login() -> str:
    """The login of the process's effective user, from the password database.

    Not ``getpass.getuser()``: that reads ``$LOGNAME`` and ``$USER`` first, which anyone may set.
    """
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # a container user with no entry in /etc/passwd
        return f"uid {uid}"
