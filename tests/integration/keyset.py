#!/usr/bin/env python3
"""Print the key paths of a JSON object, one per line, sorted.

Nested objects are walked ("Swarm.LocalNodeState"); objects that are maps
keyed by data (runtime names, registry names) are not, since their keys
depend on the host. With --compare GOLDEN, print missing and extra paths and
exit 1 if they differ. --top compares top-level keys only.
"""
import json
import sys

MAPS = {"Runtimes", "RegistryConfig.IndexConfigs", "Components", "Actor.Attributes",
        "Details"}


def paths(obj, prefix="", top=False):
    out = []
    for k, v in obj.items():
        p = prefix + k
        out.append(p)
        if not top and isinstance(v, dict) and p not in MAPS:
            out.extend(paths(v, p + ".", top))
    return out


def main():
    args = sys.argv[1:]
    top = "--top" in args
    args = [a for a in args if a != "--top"]
    doc = json.load(sys.stdin)
    got = sorted(set(paths(doc, top=top)))
    if not args:
        print("\n".join(got))
        return 0
    golden = args[args.index("--compare") + 1]
    with open(golden) as f:
        want = sorted({l.strip() for l in f if l.strip() and not l.startswith("#")})
    missing = [k for k in want if k not in got]
    extra = [k for k in got if k not in want]
    for k in missing:
        print("missing: " + k)
    for k in extra:
        print("extra:   " + k)
    return 1 if missing or extra else 0


sys.exit(main())
