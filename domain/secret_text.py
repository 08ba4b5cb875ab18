"""What looks like a secret in plain config: a key that names one, or text that holds one.

A stack file, and every render of it, is plain text, so a secret that reaches either is exposed. The
rules say what they found in words and never return the text itself: the callers' errors must not
print a secret either.
"""

from __future__ import annotations

import re

# Words that name a secret wherever they appear in a key (dbPassword, myApiKey, SQL_PWD).
_SECRET_PARTS = ("password", "passwd", "passphrase", "pwd", "secret", "token", "apikey", "privatekey",
                 "accesskey", "accountkey", "signingkey", "encryptionkey", "masterkey", "sessionkey", "sshkey",
                 "credential", "keytab", "authorization", "connectionstring", "connstr")
# Words that name a secret only as a whole word of the key (pass, dsn, jwt; not 'compass' or 'dsname').
_SECRET_WORDS = frozenset({"pass", "dsn", "jwt", "creds", "bearer", "cookie", "sas", "pem"})
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")


def names_a_secret(key: str) -> bool:
    """Whether a key's name says it holds a secret: ``db_password``, ``API_KEY``, ``pwd``, ``Authorization``."""
    words = [word.lower() for word in _WORD.findall(key)]
    compact = "".join(words)
    return any(part in compact for part in _SECRET_PARTS) or bool(_SECRET_WORDS & set(words))


# What a text holds, in words, and how to spot it. Each is written to match a secret's shape, not a word in
# prose ('password' alone is not one; 'password=...' is).
_SECRET_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a URL with a password in it (user:password@host)",
     re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}://[^\s/@:]{0,256}:[^\s/@]{1,256}@")),
    # The same without a scheme: a mail relay's 'user:password@smtp.company.com:587'.
    ("a login with a password in it (user:password@host)",
     re.compile(r"(?<![A-Za-z0-9._%+:/-])[A-Za-z0-9._%+-]{1,64}:[^\s/@:'\"]{1,256}@[A-Za-z0-9][A-Za-z0-9.-]{0,252}")),
    ("a private key", re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")),
    ("a password or key assignment (such as password=...)",
     re.compile(r"(?<![A-Za-z0-9])[\"']?(?:password|passwd|pwd|passphrase|secret|client_?secret|token|access_?token|"
                r"api_?key|access_?key|secret_?key|account_?key|shared_?access_?key|sharedaccesssignature)[\"']?"
                r"\s*[=:]\s*[\"']?[^\s\"';&,}]", re.IGNORECASE)),
    ("an Authorization header value (Bearer or Basic credentials)",
     re.compile(r"(?<![A-Za-z0-9])(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)),
    ("an access token",
     re.compile(r"(?<![A-Za-z0-9])(?:(?:AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|xox[abprs]-[A-Za-z0-9-]{10,}|"
                r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.|AIza[0-9A-Za-z_-]{35})")),
    ("a Slack webhook URL", re.compile(r"hooks\.slack\.com/services/")),
)


def secret_in_text(text: str) -> str | None:
    """What kind of secret ``text`` holds, in words, or None."""
    for kind, shape in _SECRET_SHAPES:
        if shape.search(text):
            return kind
    return None
