#!/usr/bin/env python3
"""Assemble one Zava MCP App view the way the server does, and print it.

    python3 mcp-bridge/ui/assemble.py store_performance > /tmp/x.html

page.html's placeholders are replaced: /*ZAVA_TITLE*/ by the view's title,
/*ZAVA_STYLE*/ by style.css, /*ZAVA_SCRIPT*/ by common.js + "\\n" + charts.js
+ "\\n" + <view>.js. Standard library only.
"""
import html
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent

VIEWS = {
    "store_performance": "Store performance",
    "sales_trend": "Sales trend",
    "category_breakdown": "Category breakdown",
    "top_products": "Top products",
    "inventory_alerts": "Inventory alerts",
    "product_search": "Product search",
}


def assemble(view: str) -> str:
    if view not in VIEWS:
        raise SystemExit(f"unknown view {view!r}; one of: {', '.join(VIEWS)}")
    read = lambda name: (HERE / name).read_text(encoding="utf-8")
    style = read("style.css")
    script = "\n".join([read("common.js"), read("charts.js"), read(f"{view}.js")])
    # An inline element's content must not close it early.
    if re.search(r"</style", style, re.I):
        raise SystemExit("style.css contains </style")
    if re.search(r"</script|<!--", script, re.I):
        raise SystemExit("the script contains </script or <!--")
    parts = {
        "/*ZAVA_TITLE*/": html.escape(VIEWS[view]),  # the title apps.rs gives
        "/*ZAVA_STYLE*/": style,
        "/*ZAVA_SCRIPT*/": script,
    }
    page = read("page.html")
    for marker in parts:
        if page.count(marker) != 1:
            raise SystemExit(f"page.html must hold {marker} exactly once")
    # One pass, so that no inserted text is searched for markers again.
    pattern = re.compile("|".join(re.escape(m) for m in parts))
    return pattern.sub(lambda m: parts[m.group(0)], page)


def main(argv):
    if len(argv) != 2:
        raise SystemExit(f"usage: {argv[0]} VIEW  (one of: {', '.join(VIEWS)})")
    sys.stdout.write(assemble(argv[1]))


if __name__ == "__main__":
    main(sys.argv)
