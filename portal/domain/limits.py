"""The longest value each text field takes, in characters: the forms refuse
more with a message in the candidate's or staff member's language, and the
database columns are declared no larger (PostgreSQL enforces it)."""

FULL_NAME = 200
#: RFC 5321: the longest address a mail server accepts.
EMAIL = 320
PHONE = 50
PRONOUNS = 50
ABOUT_WORDS = 300
#: 300 words of French average under 2,000 characters; the cap only stops abuse.
ABOUT = 4000
ACCOMMODATION = 2000
LINK = 500
TEXT_ANSWER = 5000
DECISION_REASON = 4000
NOTE = 10000
#: A message staff write to a candidate (and its subject), or the personal
#: words added to a decision email.
MESSAGE = 5000
MESSAGE_SUBJECT = 200
HOLD_REASON = 1000
#: A reviewer's justification for rating one merit criterion.
JUSTIFICATION = 2000
#: Longer than any passphrase; a longer one is refused before it is hashed.
PASSWORD = 1000
