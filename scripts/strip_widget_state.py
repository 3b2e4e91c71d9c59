"""Remove stored widget state (metadata.widgets) from notebooks, in place. The course stores none: static viewers
then show each panel's PNG instead of an empty widget, and `make notebooks` executes with
--ExecutePreprocessor.store_widget_state=False, which does not remove state stored earlier.

    .venv/bin/python scripts/strip_widget_state.py notebooks/*.ipynb
"""

import json
import sys

for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as fh:
        nb = json.load(fh)
    if nb.get("metadata", {}).pop("widgets", None) is not None:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(nb, fh, indent=1, ensure_ascii=False)
            fh.write("\n")
        print(f"{path}: widget state removed")
