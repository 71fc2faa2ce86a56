"""Where the load test, the soak and the benchmark leave their results: reports/NAME.{json,md}."""
from __future__ import annotations

import json
from pathlib import Path


def write_report(out: Path, name: str, result: dict, markdown: str) -> None:
    """Write the result as JSON and its Markdown table into `out`, and print the table."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    (out / f"{name}.md").write_text(markdown)
    print(markdown)
