"""One test per submission rule, each with a model that breaks exactly that rule (real files)."""

import json
import shutil
import struct
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from openboard.domain import (
    ModelId,
    ModelType,
    PinKind,
    Precision,
    Severity,
    SubmissionRequest,
    Verdict,
)
from openboard.sources import LocalModelSource, ModelSnapshot, probe_loadability
from openboard.submission import parse_submission
from openboard.validation import ValidationPolicy, catalogued, count_parameters, validate

from .conftest import POSTGRES_SERVER

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)

NOW = datetime(2026, 11, 28, tzinfo=UTC)
Mutation = Callable[[Path], None]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, model_library: Path) -> Path:
    """A plain-folder copy of the good tiny model that each test copies and breaks."""
    root = tmp_path_factory.mktemp("rules")
    shutil.copytree(model_library / "demo" / "tiny", root / "good" / "model",
                    ignore=shutil.ignore_patterns(".git"))  # fmt: skip
    return root


def broken(library: Path, name: str, mutate: Mutation) -> ModelSnapshot:
    folder = library / "broken" / name
    if not folder.exists():
        shutil.copytree(library / "good" / "model", folder)
        mutate(folder)
    source = LocalModelSource(library, library / ".checkouts", prober=probe_loadability)
    return source.snapshot(ModelId("broken", name), "main")


def request(**fields: object) -> SubmissionRequest:
    values: dict[str, object] = {"model": "broken/x", "model_type": "pretrained", "sender": "t"}
    values.update(fields)
    return SubmissionRequest.model_validate(values)


def verdict_of(
    snapshot: ModelSnapshot, policy: ValidationPolicy | None = None, **fields: object
) -> Verdict:
    verdict = validate(snapshot, request(**fields), policy or ValidationPolicy(), NOW)
    uncatalogued = [f.check for f in verdict.findings if not catalogued(f.check)]
    assert not uncatalogued, f"checks missing from the catalogue: {uncatalogued}"
    return verdict


def only_error(verdict: Verdict, check: str) -> str:
    """The message of the one error, which must come from `check`; every error has a hint."""
    errors = verdict.errors
    assert [e.check for e in errors] == [check], errors
    assert errors[0].hint
    return errors[0].message


def edit_json(folder: Path, name: str, **changes: object) -> None:
    data = json.loads((folder / name).read_text())
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    (folder / name).write_text(json.dumps(data))


def test_the_good_model_passes_every_rule(library: Path) -> None:
    verdict = verdict_of(broken(library, "none", lambda f: None))
    assert verdict.accepted and verdict.errors == []
    assert verdict.params is not None and verdict.params > 0
    assert verdict.license == "apache-2.0" and not verdict.merged and not verdict.moe
    assert {"public", "config", "loadability", "safetensors", "size", "model_card"} <= set(
        verdict.checked
    )


@pytest.mark.parametrize(
    "model",
    ["../etc/passwd", "/abs/path", "org\\name", "org/na\x00me", "org/..", "a/b/c", "org/-x"],
)
def test_path_tricks_in_the_id_are_refused_before_any_disk_access(model: str) -> None:
    parsed = parse_submission({"model": model, "model_type": "pretrained", "sender": "t"})
    assert isinstance(parsed, Verdict) and not parsed.accepted
    assert [f.check for f in parsed.findings] == ["model_id"]


def test_remote_code_is_refused(library: Path) -> None:
    snapshot = broken(library, "remote", lambda f: edit_json(
        f, "config.json", auto_map={"AutoModelForCausalLM": "evil.Model"}))  # fmt: skip
    assert "remote code" in only_error(verdict_of(snapshot), "remote_code")


def test_unknown_architecture_names_the_transformers_version_that_wrote_it(library: Path) -> None:
    snapshot = broken(library, "future", lambda f: edit_json(
        f, "config.json", model_type="llama9000", transformers_version="99.1.0"))  # fmt: skip
    message = only_error(verdict_of(snapshot), "loadability")
    assert "AutoConfig" in message and "99.1.0" in message


def test_pickled_weights_are_refused_by_name_and_never_opened(library: Path) -> None:
    def pickled(folder: Path) -> None:
        for path in folder.glob("*.safetensors"):
            path.unlink()
        (folder / "pytorch_model.bin").write_bytes(b"\x80\x04 not a pickle: opening it would fail")

    message = only_error(verdict_of(broken(library, "pickled", pickled)), "safetensors")
    assert "pickled" in message and "pytorch_model.bin" in message


def _hostile_header(header: dict[str, object], data: bytes = b"\0" * 16) -> Mutation:
    def write(folder: Path) -> None:
        raw = json.dumps(header).encode()
        (folder / "model.safetensors").write_bytes(struct.pack("<Q", len(raw)) + raw + data)

    return write


@pytest.mark.parametrize(
    ("name", "mutation", "words"),
    [
        ("overlap", _hostile_header({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                     "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}),
         "overlap"),
        ("past-end", _hostile_header({"a": {"dtype": "F32", "shape": [8], "data_offsets": [0, 32]}}),
         "past the end"),
        ("dtype", _hostile_header({"a": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}),
         "unknown dtype"),
        ("huge", lambda f: (f / "model.safetensors").write_bytes(struct.pack("<Q", 2**62) + b"{}"),
         "header"),
    ],
)  # fmt: skip
def test_hostile_safetensors_headers_are_refused(
    library: Path, name: str, mutation: Mutation, words: str
) -> None:
    message = only_error(
        verdict_of(broken(library, f"header-{name}", mutation)), "safetensors_header"
    )
    assert words in message


def test_size_limits_depend_on_the_precision(library: Path) -> None:
    snapshot = broken(library, "none", lambda f: None)
    params = count_parameters(snapshot)
    assert params is not None
    policy = ValidationPolicy(
        max_params_high_precision=params - 1, max_params_quantized_base=params / 3
    )
    assert "limit for bfloat16" in only_error(verdict_of(snapshot, policy), "size")
    # 8bit: limit x2 is still below; 4bit: limit x4 is above.
    assert not verdict_of(snapshot, policy, precision="8bit").accepted
    assert verdict_of(snapshot, policy, precision="4bit").accepted


def _gptq(bits: int | None) -> Mutation:
    def write(folder: Path) -> None:
        import numpy as np
        from safetensors.numpy import save_file

        pack = 32 // (bits or 4)
        tensors = {
            "model.layers.0.mlp.down_proj.qweight": np.zeros((256 // pack, 64), dtype=np.int32),
            "model.layers.0.mlp.down_proj.qzeros": np.zeros((2, 64 // pack), dtype=np.int32),
            "model.layers.0.mlp.down_proj.scales": np.zeros((2, 64), dtype=np.float16),
            "model.layers.0.mlp.down_proj.g_idx": np.zeros((256,), dtype=np.int32),
            "model.embed_tokens.weight": np.zeros((10, 64), dtype=np.float16),
        }
        for path in folder.glob("*.safetensors"):
            path.unlink()
        save_file(tensors, str(folder / "model.safetensors"))
        quant = {"quant_method": "gptq", "group_size": 128} | ({"bits": bits} if bits else {})
        edit_json(folder, "config.json", quantization_config=quant)

    return write


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_gptq_parameters_are_unpacked_by_their_bit_width(library: Path, bits: int) -> None:
    snapshot = broken(library, f"gptq{bits}", _gptq(bits))
    # 256 x 64 real weights in the packed qweight, plus the 10 x 64 embedding; zeros, scales and
    # group indices are not parameters.
    assert count_parameters(snapshot) == 256 * 64 + 10 * 64
    assert snapshot.param_count != count_parameters(snapshot)  # the header alone under-counts


def test_gptq_size_limit_uses_the_bits_factor_and_needs_the_bits(library: Path) -> None:
    true_count = 256 * 64 + 10 * 64
    policy = ValidationPolicy(max_params_quantized_base=true_count / 4 + 1)  # x4 for 4 bits: fits
    fits = verdict_of(broken(library, "gptq4", _gptq(4)), policy, precision="GPTQ")
    assert "size" in fits.checked and all(e.check != "size" for e in fits.errors)
    tight = ValidationPolicy(max_params_quantized_base=true_count / 8)  # 8 bits: x2, too small
    sizes = [e for e in verdict_of(broken(library, "gptq8", _gptq(8)), tight, precision="GPTQ").errors
             if e.check == "size"]  # fmt: skip
    assert sizes and "limit for GPTQ" in sizes[0].message
    missing = verdict_of(broken(library, "gptq-nobits", _gptq(None)), precision="GPTQ")
    assert any(
        e.check == "size" and "quantization_config.bits" in e.message for e in missing.errors
    )


def test_precision_other_than_the_saved_dtype_is_a_warning_naming_nans(library: Path) -> None:
    verdict = verdict_of(broken(library, "none", lambda f: None), precision="float16")
    assert verdict.accepted
    warnings = [f for f in verdict.findings if f.check == "precision"]
    assert len(warnings) == 1 and warnings[0].severity is Severity.WARNING
    assert "NaN" in warnings[0].message and "bfloat16" in warnings[0].hint


@pytest.mark.parametrize(
    ("field", "allow"), [("private", "allow_private"), ("gated", "allow_gated")]
)
def test_private_and_gated_models_need_the_operators_consent(
    library: Path, field: str, allow: str
) -> None:
    snapshot = broken(library, "none", lambda f: None)
    hidden = replace(snapshot, **{field: True if field == "private" else "manual"})
    assert field.split("_")[0] in only_error(verdict_of(hidden), "public")
    assert verdict_of(hidden, ValidationPolicy(**{allow: True})).accepted


@pytest.mark.parametrize(
    ("name", "card", "words"),
    [
        ("no-card", None, "no model card"),
        ("no-license", "---\ntags: [x]\n---\n" + "words " * 60, "no license"),
        ("short", "---\nlicense: mit\n---\ntoo short", "characters"),
        ("bad-yaml", "---\nlicense: [mit\n---\n" + "words " * 60, "does not load"),
    ],
)
def test_model_card_rules(library: Path, name: str, card: str | None, words: str) -> None:
    def write(folder: Path) -> None:
        if card is None:
            (folder / "README.md").unlink()
        else:
            (folder / "README.md").write_text(card)

    assert words in only_error(verdict_of(broken(library, f"card-{name}", write)), "model_card")


def test_license_name_and_link_replace_a_license_id(library: Path) -> None:
    card = (
        "---\nlicense: other\nlicense_name: tiny-license\nlicense_link: LICENSE\n---\n" + "w " * 150
    )
    verdict = verdict_of(
        broken(library, "card-other", lambda f: (f / "README.md").write_text(card))
    )
    assert verdict.accepted and verdict.license == "tiny-license"


def test_merged_and_moe_flags_are_derived(library: Path) -> None:
    merged_card = "---\nlicense: mit\ntags: [mergekit, merge]\n---\n" + "w " * 150
    merged = verdict_of(
        broken(library, "merged", lambda f: (f / "README.md").write_text(merged_card))
    )
    assert merged.merged and not merged.moe
    said = "---\nlicense: mit\n---\nThis is a merged model of two others. " + "w " * 150
    assert verdict_of(
        broken(library, "said-merged", lambda f: (f / "README.md").write_text(said))
    ).merged
    moe = broken(library, "experts", lambda f: edit_json(f, "config.json", num_local_experts=8))
    assert verdict_of(moe).moe
    by_name = replace(
        broken(library, "none", lambda f: None), model_id=ModelId("org", "Mixtral-8x7B-v0.1")
    )
    assert verdict_of(by_name).moe


def test_chat_template_rules(library: Path) -> None:
    def no_template_anywhere(folder: Path) -> None:
        edit_json(folder, "tokenizer_config.json", chat_template=None)
        (folder / "chat_template.jinja").unlink(missing_ok=True)

    no_template = broken(library, "no-template", no_template_anywhere)
    assert no_template.chat_template is None
    assert "chat template" in only_error(
        verdict_of(no_template, use_chat_template=True), "chat_template"
    )
    reminder = verdict_of(no_template, model_type=ModelType.CHAT, use_chat_template=False)
    assert reminder.accepted and [f.check for f in reminder.findings] == ["chat_template"]

    def jinja_file(folder: Path) -> None:
        no_template_anywhere(folder)
        (folder / "chat_template.jinja").write_text(
            "{% for m in messages %}{{ m.content }}{% endfor %}"
        )

    assert verdict_of(broken(library, "jinja", jinja_file), use_chat_template=True).accepted


def test_pin_kinds_are_stored_with_the_verdict_revision(library: Path) -> None:
    snapshot = broken(library, "none", lambda f: None)
    assert snapshot.pin is PinKind.FINGERPRINT and len(snapshot.revision) == 64
    assert verdict_of(snapshot).revision == snapshot.revision


def test_a_precision_outside_the_list_is_refused_with_the_choices() -> None:
    parsed = parse_submission(
        {"model": "org/m", "model_type": "pretrained", "sender": "t", "precision": "float64"}
    )
    assert isinstance(parsed, Verdict)
    assert [f.check for f in parsed.findings] == ["precision"] and "bfloat16" in parsed.findings[
        0
    ].hint
    assert Precision("GPTQ") is Precision.GPTQ


def test_every_check_is_documented_with_an_example() -> None:
    from openboard.validation import CHECKS

    docs = (Path(__file__).resolve().parents[1] / "docs" / "validation.md").read_text()
    sections = dict(
        (block.split("`", 2)[1], block)
        for block in docs.split("\n### ")[1:]
        if block.startswith("`")
    )
    assert set(CHECKS) <= set(sections), f"undocumented checks: {set(CHECKS) - set(sections)}"
    assert not set(sections) - set(CHECKS), f"documented but unknown: {set(sections) - set(CHECKS)}"
    for name, section in sections.items():
        assert "Example" in section, f"docs/validation.md: `{name}` has no example message"


def test_the_docs_table_of_checks_is_made_from_the_registered_rules(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from openboard.cli import app
    from openboard.validation import RULES, docs_table, with_docs_table

    docs = Path(__file__).resolve().parents[1] / "docs" / "validation.md"
    assert with_docs_table(docs.read_text()) == docs.read_text(), (
        "docs/validation.md is stale: run `openboard dev validation-docs`"
    )
    table = docs_table()
    assert all(f"| `{name}` | {r.stage} | {r.doc} |" in table for name, r in RULES.items())
    # The command finds a stale copy, and rewrites it without touching the rest of the text.
    stale = tmp_path / "validation.md"
    stale.write_text(docs.read_text().replace("| `size` | files |", "| `size` | request |"))
    runner = CliRunner()
    checked = runner.invoke(app, ["dev", "validation-docs", str(stale), "--check"])
    assert checked.exit_code == 1 and "stale" in checked.output
    assert runner.invoke(app, ["dev", "validation-docs", str(stale)]).exit_code == 0
    assert stale.read_text() == docs.read_text()
    stale.write_text("# no table here\n")
    refused = runner.invoke(app, ["dev", "validation-docs", str(stale)])
    assert refused.exit_code == 1 and "no table of checks" in refused.output


def test_a_rule_is_registered_once_and_names_its_own_findings() -> None:
    from openboard.validation import ALL_CHECKS, CHECKS, RULES, Stage
    from openboard.validation._rules import declare

    with pytest.raises(ValueError, match="'size' is registered twice"):
        declare("size", "again", Stage.FILES)
    assert list(CHECKS) == [r.name for s in Stage for r in RULES.values() if r.stage is s]
    names = [c.rule.name for c in ALL_CHECKS]
    assert len(names) == len(set(names)) and all(RULES[n].stage is Stage.FILES for n in names)
    cardless = ModelSnapshot(model_id=ModelId("o", "m"), requested_revision="main",
                             revision="r" * 40, pin=PinKind.GIT_COMMIT, files={})  # fmt: skip
    card = next(c for c in ALL_CHECKS if c.rule.name == "model_card")
    assert [f.check for f in card(cardless, request(), ValidationPolicy())] == ["model_card"]
