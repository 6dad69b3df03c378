"""Reading front-matter values, reporting what is odd about each one."""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime, time, tzinfo
from typing import Any

from .criteria import Criterion, read_criteria
from .jobfacts import FACT_KEYS, JobFacts, describe_read_facts, read_job_facts
from .model import Choice, Document, Problem, Question, QuestionType, Severity

#: Line breaks and runs of ASCII spaces: a value's U+00A0 and U+202F (French
#: typography, amounts like « 88 000 $ ») are kept.
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


def collapse_spaces(text: str) -> str:
    """Join a value's lines and runs of spaces into single spaces, keeping non-breaking ones."""
    return _SPACES.sub(" ", text).strip()


#: Keys the portal reads, or knowingly ignores (Hugo and CMS bookkeeping).
KNOWN_KEYS = frozenset(
    {
        "title",
        "description",
        "layout",
        "type",
        "archived",
        "draft",
        "formHidden",
        "linkHidden",
        "leverId",
        "translationKey",
        "author",
        "date",
        "image",
        "image-alt",
        "image-translation",
        "thumb",
        "tags",
        "aliases",
        "url",
        "processed",
        *FACT_KEYS,
        "closingDate",
        "questions",
        "criteria",
        "nameBlind",
    }
)

#: The stages from which a name-blind review shows names (values of
#: ``portal.domain.models.Status``), and the one ``nameBlind: true`` means.
NAME_BLIND_STAGES = ("screening", "interview", "offer")
NAME_BLIND_DEFAULT_STAGE = "interview"

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_TEST_TITLE = re.compile(r"^\s*test\b", re.I)
_QUESTION_TYPES = {
    "text": QuestionType.TEXT,
    "yes-no": QuestionType.YES_NO,
    "yesno": QuestionType.YES_NO,
    "yes/no": QuestionType.YES_NO,
    "choice": QuestionType.CHOICE,
    "single-choice": QuestionType.CHOICE,
}
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0", ""}


def normalise_translation_key(value: Any) -> str | None:
    """Return the pairing form of a translationKey: trimmed, lower-case, no trailing slash."""
    if value is None:
        return None
    key = str(value).strip().lower().rstrip("/").strip()
    return key or None


class FieldReader:
    """Read front-matter values of one file, reporting what is odd about them.

    ``source`` is the loader's record of the file: its ``display`` path,
    ``folder``, ``stem``, ``parsed`` front matter, ``line_of(key)`` and the
    ``problems`` list that reports are appended to.
    """

    def __init__(self, source, timezone: tzinfo) -> None:
        self.source = source
        self.data = source.parsed.data
        self.timezone = timezone
        #: Set when closingDate is there but is no date: the posting then takes no applications.
        self.closing_date_unreadable = False

    def warn(self, key: str, message: str, severity: Severity = Severity.WARNING) -> None:
        self.source.problems.append(Problem(self.source.display, self.source.line_of(key), severity, message))

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if value is None:
            return ""
        if isinstance(value, (list, dict)):
            self.warn(key, f"{key!r} should be text, not a {type(value).__name__}")
            return ""
        return collapse_spaces(str(value))

    def names(self, key: str) -> str | None:
        value = self.data.get(key)
        if isinstance(value, list):
            return ", ".join(str(item).strip() for item in value if item) or None
        return self.text(key) or None

    def flag(self, key: str) -> bool:
        value = self.data.get(key)
        if value is None or isinstance(value, bool):
            return bool(value)
        if str(value).strip().lower() in _TRUE:
            return True
        if str(value).strip().lower() not in _FALSE:
            self.warn(key, f"{key}: {value!r} is not true or false; taken as false")
        return False

    def translation_key(self) -> str | None:
        raw = self.data.get("translationKey")
        key = normalise_translation_key(raw)
        if key is not None and key.isdigit():
            self.warn(
                "translationKey",
                f"translationKey {key!r} is a bare number, probably a CMS placeholder",
            )
        return key

    def lever_id(self) -> str | None:
        value = self.data.get("leverId")
        if value is None:
            return None
        text = str(value).strip()
        if not _UUID.match(text):
            self.warn("leverId", f"leverId {text!r} is not a Lever posting id (a UUID)")
        return text or None

    def date(self) -> datetime | None:
        value = self.data.get("date")
        if value is None or value == "":
            return None
        try:
            return parse_date(value, self.timezone)
        except ValueError:
            self.warn("date", f"date {value!r} is not a date this portal understands; ignored")
            return None

    def closing_date(self) -> datetime | None:
        value = self.data.get("closingDate")
        if value is None or value == "":
            return None
        try:
            # A date alone closes at the end of that day, local time.
            return datetime.combine(
                date.fromisoformat(str(value).strip()), time(23, 59, 59), tzinfo=self.timezone
            )
        except ValueError:
            pass
        try:
            return parse_date(value, self.timezone)
        except ValueError:
            self.closing_date_unreadable = True
            self.warn(
                "closingDate",
                f"closingDate {value!r} is not a date (ISO 8601, like 2027-03-31): "
                "the posting takes no applications until it is fixed",
                Severity.ERROR,
            )
            return None

    def job_facts(self) -> JobFacts:
        def report(key: str, message: str, error: bool = True) -> None:
            self.warn(key, message, Severity.ERROR if error else Severity.WARNING)

        facts = read_job_facts(self.data, report)
        note = describe_read_facts(self.data, facts)
        if note:
            first = next(key for key in FACT_KEYS if key in self.data)
            self.warn(first, note, Severity.NOTE)
        return facts

    def questions(self) -> tuple[Question, ...]:
        value = self.data.get("questions")
        if value is None:
            return ()
        if not isinstance(value, list):
            self.warn("questions", "questions must be a list; none are asked")
            return ()
        questions: list[Question] = []
        for position, item in enumerate(value, start=1):
            problem, question = _read_question(
                item,
                lambda message, at=position: self.warn(
                    "questions", f"question {at}: {message}", Severity.ERROR
                ),
            )
            if problem:
                self.warn("questions", f"question {position}: {problem}; it is not asked")
            elif question.id in {q.id for q in questions}:
                self.warn("questions", f"question {position}: id {question.id!r} is used twice")
            else:
                questions.append(question)
        return tuple(questions)

    def criteria(self) -> tuple[Criterion, ...]:
        return read_criteria(
            self.data.get("criteria"), lambda message: self.warn("criteria", message, Severity.ERROR)
        )

    def name_blind(self) -> str | None:
        """Return the stage from which reviewers see candidates' names
        (``nameBlind``), or None when review is not name-blind.

        ``true`` means the default stage; a value that is neither true, false
        nor a stage is an error, and the posting is reviewed name-blind until
        the default stage: a file that asks for blind review, wrongly written,
        should not show names meanwhile."""
        value = self.data.get("nameBlind")
        if value is None or value is False:
            return None
        text = "true" if value is True else str(value).strip().lower()
        if text in _FALSE:
            return None
        if text in _TRUE:
            return NAME_BLIND_DEFAULT_STAGE
        if text in NAME_BLIND_STAGES:
            return text
        self.warn(
            "nameBlind",
            f"nameBlind {value!r} is not true, false or a stage ({', '.join(NAME_BLIND_STAGES)}): "
            f"reviewed name-blind until {NAME_BLIND_DEFAULT_STAGE!r} until it is fixed",
            Severity.ERROR,
        )
        return NAME_BLIND_DEFAULT_STAGE

    def tags(self) -> tuple[str, ...]:
        value = self.data.get("tags")
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        return tuple(collapse_spaces(str(item)) for item in items if str(item or "").strip())

    def aliases(self) -> tuple[str, ...]:
        found = []
        for key in ("aliases", "url"):
            value = self.data.get(key)
            for item in value if isinstance(value, list) else [value]:
                if item and str(item).strip().strip("/"):
                    found.append("/" + str(item).strip().strip("/") + "/")
        return tuple(dict.fromkeys(found))

    def unknown_keys(self) -> None:
        for key in self.data:
            if key in KNOWN_KEYS:
                continue
            folded = {known.replace("-", "").lower(): known for known in KNOWN_KEYS}
            plain = key.replace(" ", "").replace("-", "").replace("_", "").lower()
            guess = folded.get(plain) or next(iter(difflib.get_close_matches(key, KNOWN_KEYS, n=1)), None)
            hint = f"; did you mean {guess!r}?" if guess else ""
            self.warn(key, f"unknown front-matter key {key!r} ignored{hint}")

    def path_segments(self) -> None:
        source = self.source
        parts = (*source.folder, source.stem)
        for index, part in enumerate(parts[:-1]):
            if part.endswith("-") or parts[index + 1].startswith("-"):
                joined = "/".join(parts[index:])
                self.warn(
                    "title",
                    f"path '{joined}' looks like a title containing '/' split into "
                    f"folders; the slug is {source.stem!r}",
                )
                return

    def test_posting(self, document: Document) -> None:
        if _TEST_TITLE.match(document.title):
            self.warn("title", f"looks like a CMS test posting (title {document.title!r})")


def _read_question(item: Any, report=lambda message: None) -> tuple[str | None, Question | None]:
    """Return (problem, None) or (None, question) for one ``questions`` entry.

    ``report(message)`` is called for a problem that leaves the question
    asked: a bad essential mark (the question is then not essential).
    """
    if not isinstance(item, dict):
        return "must be a mapping with id, type and label", None
    question_id = str(item.get("id") or "").strip()
    label = collapse_spaces(str(item.get("label") or ""))
    kind = _QUESTION_TYPES.get(str(item.get("type") or "").strip().lower())
    if not question_id:
        return "has no id", None
    if not label:
        return "has no label", None
    if kind is None:
        return f"type {item.get('type')!r} is not text, yes-no or choice", None
    choices: list[Choice] = []
    if kind is QuestionType.CHOICE:
        raw = item.get("choices")
        if not isinstance(raw, list) or not raw:
            return "a choice question needs a list of choices", None
        for number, choice in enumerate(raw, start=1):
            if isinstance(choice, dict):
                choice_id = str(choice.get("id") or number).strip()
                choice_label = collapse_spaces(str(choice.get("label") or ""))
            else:
                choice_id, choice_label = str(number), collapse_spaces(str(choice))
            if not choice_label:
                return f"choice {number} has no label", None
            choices.append(Choice(choice_id, choice_label))
        if len({choice.id for choice in choices}) != len(choices):
            return "two choices share an id", None
    required = item.get("required", True)
    return None, Question(
        id=question_id,
        type=kind,
        label=label,
        required=required if isinstance(required, bool) else str(required).lower() in _TRUE,
        hint=collapse_spaces(str(item.get("hint") or "")),
        choices=tuple(choices),
        required_answer=_required_answer(item, kind, report),
    )


#: How ``requiredAnswer`` may be written (YAML reads a bare yes or no as true or false).
_ANSWERS = {"yes": "yes", "no": "no", "true": "yes", "false": "no"}


def _required_answer(item: dict, kind: QuestionType, report) -> str:
    """Return the answer an essential yes-no question needs, or "" when the
    question is not essential (or its essential mark is wrong: reported)."""
    essential = item.get("essential", False)
    answer = item.get("requiredAnswer")
    if not isinstance(essential, bool):
        text = str(essential).strip().lower()
        if text not in _TRUE | _FALSE:
            report(f"essential: {essential!r} is not true or false; the question is not essential")
            return ""
        essential = text in _TRUE
    if not essential:
        if answer is not None:
            report("requiredAnswer is only read with essential: true; the question is not essential")
        return ""
    if kind is not QuestionType.YES_NO:
        report(f"only a yes-no question can be essential, not a {kind} question; it is asked as usual")
        return ""
    if answer is None:
        return "yes"
    required = _ANSWERS.get(str(answer).strip().lower())
    if required is None:
        report(f"requiredAnswer {answer!r} is not yes or no; the question is not essential")
        return ""
    return required


def parse_date(value: Any, timezone: tzinfo) -> datetime:
    """Parse any date format the CDS site used into an aware datetime.

    ``2019-07-23T13:00:00.000Z``, ``2023-05-01 12:00:00 -0400``,
    ``2024-01-02T10:00:00`` (local time) and ``2024-01-02`` are understood.
    """
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone)
    return moment.astimezone(timezone)
