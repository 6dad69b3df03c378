"""Text as searches compare it: accents, case and typographic apostrophes folded."""

import pytest

from portal.content.text import fold, plain_text


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("Développeur ou développeuse", "developpeur ou developpeuse"),
        ("ÉCOLE, Ça, Noël", "ecole, ca, noel"),
        ("l’équipe de l‘État", "l'equipe de l'etat"),
        ("Python Developer", "python developer"),
        ("ﬁnance", "finance"),
        ("Tiếng Việt", "tieng viet"),
        ("ᐃᓄᒃᑎᑐᑦ", "ᐃᓄᒃᑎᑐᑦ"),
    ],
)
def test_fold_drops_accents_and_case_and_keeps_other_scripts(written, folded):
    assert fold(written) == folded


def test_plain_text_keeps_the_words_of_html():
    markup = "<p>Salaire&nbsp;: <strong>88 000 $</strong></p>\n<p>Ottawa</p>"
    assert plain_text(markup) == "Salaire : 88 000 $ Ottawa"
