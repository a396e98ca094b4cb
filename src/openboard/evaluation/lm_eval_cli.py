"""lm-eval's own command line with openboard's lm-eval models registered.

`python -m openboard.evaluation.lm_eval_cli --model openboard-hf ...` takes every argument that
`lm-eval` takes; it only makes `openboard-hf` known to lm-eval's model registry first.
"""

from lm_eval.__main__ import cli_evaluate

from openboard.evaluation import _shared_context  # noqa: F401  (registers openboard-hf)

__all__ = ["cli_evaluate"]

if __name__ == "__main__":
    cli_evaluate()
