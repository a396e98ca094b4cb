"""The table as CSV and as Parquet with the public leaderboard's `contents` columns."""

import csv
import io
from collections.abc import Callable
from typing import Any

from openboard.evaluation import Suite


def contents_records(rows: list[dict[str, Any]], suite: Suite) -> list[dict[str, Any]]:
    """Rows under the public `open-llm-leaderboard/contents` dataset's column names."""
    records = []
    for row in rows:
        record: dict[str, Any] = {
            "eval_name": f"{row['model'].replace('/', '_')}_{row['precision']}",
            "Precision": row["precision"],
            "Type": row["type"],
            "T": row["type_symbol"],
            "Weight type": row["weight_type"],
            "Architecture": row["architecture"],
            "Model": row["model"],
            "fullname": row["model"],
            "Model sha": row["sha"],
            "Average ⬆️": row["average"],
            "Hub License": row["license"],
            "#Params (B)": row["params_b"],
            "Available on the hub": row["available"],  # None: never checked
            "MoE": row["moe"],
            "Chat Template": row["chat_template"],
            "CO₂ cost (kg)": row["co2"],
            # openboard's own: what the evaluation cost (the public contents have no such columns)
            "Backend": row["backend"],
            "Wall time (s)": row["wall_seconds"],
            "Tokens": row["tokens"],
            "Tokens/s": row["tokens_per_s"],
            "Device-hours": row["device_hours"],
            "GPU-hours": row["gpu_hours"],
            # openboard's own: the contamination test's smallest p-value and its benchmark
            "Contamination p (min)": row["contamination_p"],
            "Contamination benchmark": row["contamination_benchmark"],
        }
        for benchmark in suite.benchmarks:
            score = row["scores"].get(benchmark.name)
            record[f"{benchmark.display_name} Raw"] = score["raw"] if score else None
            record[benchmark.display_name] = score["normalized"] if score else None
        record.update(
            {
                "Merged": row["merged"],
                "Official Providers": row["official"],
                "Submission Date": row["submitted"],
                "Base Model": row["base_model"] or "",
            }
        )
        record.update(_uncertainty(row))
        records.append(record)
    return records


def _uncertainty(row: dict[str, Any]) -> dict[str, Any]:
    """The 95% confidence interval of the score the view ranks by and the row's rank range."""
    ci, ranks = row.get("ci"), row.get("rank_range")
    return {
        "95% CI low": ci[0] if ci else None, "95% CI high": ci[1] if ci else None,
        "Rank best": ranks[0] if ranks else None, "Rank worst": ranks[1] if ranks else None,
        "Statistically tied": row.get("tied", False),
    }  # fmt: skip


def column_names(suite: Suite) -> list[str]:
    scores = [n for b in suite.benchmarks for n in (f"{b.display_name} Raw", b.display_name)]
    return [*_HEAD, *scores, *_TAIL, *_UNCERTAINTY]


_HEAD = ["eval_name", "Precision", "Type", "T", "Weight type", "Architecture", "Model", "fullname",
         "Model sha", "Average ⬆️", "Hub License", "#Params (B)", "Available on the hub", "MoE",
         "Chat Template",
         "CO₂ cost (kg)", "Backend", "Wall time (s)", "Tokens", "Tokens/s", "Device-hours",
         "GPU-hours", "Contamination p (min)", "Contamination benchmark"]  # fmt: skip
_TAIL = ["Merged", "Official Providers", "Submission Date", "Base Model"]
_UNCERTAINTY = ["95% CI low", "95% CI high", "Rank best", "Rank worst", "Statistically tied"]


# A cell starting with one of these is a formula to a spreadsheet; licenses and base models come from
# submitters, so such text is prefixed with a quote (OWASP's advice against CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    return f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def to_csv(records: list[dict[str, Any]], suite: Suite) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=column_names(suite))
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in record.items()} for record in records)
    return out.getvalue()


def to_parquet(records: list[dict[str, Any]], suite: Suite) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = column_names(suite)
    table = (
        pa.Table.from_pylist(records)
        if records
        else pa.table({n: pa.array([], pa.string()) for n in names})
    )
    sink = io.BytesIO()
    pq.write_table(table.select(names), sink)
    return sink.getvalue()


# The table's export formats: how to write it, and its media type.
EXPORTS: dict[str, tuple[Callable[[list[dict[str, Any]], Suite], str | bytes], str]] = {
    "csv": (to_csv, "text/csv; charset=utf-8"),
    "parquet": (to_parquet, "application/vnd.apache.parquet"),
}
