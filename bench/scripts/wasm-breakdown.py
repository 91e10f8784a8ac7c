#!/usr/bin/env python3
"""Where the widget's WASM bytes go, by crate (a stand-in for `twiggy top`, no install needed).

Reads the pre-wasm-opt module cargo builds, which still has its "name" section:
    target/front/wasm32-unknown-unknown/wasm-release/frontend.wasm
(after `cargo leptos build --release`; the shipped target/site/pkg/helpdesk.wasm has no names).
Sums the code-section bytes of every function by the crate its (demangled) name starts with,
and also lists the largest single functions. wasm-opt -Oz shrinks the total afterwards, so read
the shares, not the absolute numbers.

    python3 bench/scripts/wasm-breakdown.py [path/to/frontend.wasm] [--top 25] [--json]
"""
import json
import re
import sys
from collections import Counter


def leb(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def sections(data):
    i = 8
    while i < len(data):
        sid = data[i]
        i += 1
        size, i = leb(data, i)
        yield sid, i, size
        i += size


def imported_functions(data, start):
    count, i = leb(data, start)
    funcs = 0
    for _ in range(count):
        for _ in range(2):  # module, field
            n, i = leb(data, i)
            i += n
        kind = data[i]
        i += 1
        if kind == 0:
            _, i = leb(data, i)
            funcs += 1
        elif kind == 1:  # table: reftype + limits
            i += 1
            flag, i = leb(data, i)
            _, i = leb(data, i)
            if flag & 1:
                _, i = leb(data, i)
        elif kind == 2:  # memory: limits
            flag, i = leb(data, i)
            _, i = leb(data, i)
            if flag & 1:
                _, i = leb(data, i)
        elif kind == 3:  # global
            i += 2
        elif kind == 4:  # tag
            i += 1
            _, i = leb(data, i)
    return funcs


def demangle(name):
    """Rust legacy mangling (_ZN...E) to a path; other names pass through."""
    m = re.match(r"^_ZN(.*)E$", name)
    if not m:
        return name
    rest, parts = m.group(1), []
    while rest and rest[0].isdigit():
        n = re.match(r"^(\d+)", rest).group(1)
        rest = rest[len(n):]
        parts.append(rest[: int(n)])
        rest = rest[int(n):]
    parts = [p for p in parts if not re.match(r"^h[0-9a-f]{16}$", p)]
    return "::".join(parts).replace("$LT$", "<").replace("$GT$", ">").replace("$u20$", " ").replace("..", "::")


def crate_of(path):
    # Rust v0 mangling: the first crate root `C<disambiguator>_<len><name>` names the crate.
    if path.startswith("_R"):
        m = re.search(r"C(?:s[0-9A-Za-z]*_)?(\d+)([A-Za-z_][A-Za-z0-9_]*)", path[2:])
        if m:
            return m.group(2)[: int(m.group(1))]
    # `<T as Trait>::f` with a generic or tuple T: count it under the trait's crate.
    m = re.match(r"^_?<(.+?) as ([A-Za-z_][A-Za-z0-9_:]*)", path)
    if m and (re.match(r"^[A-Z]$", m.group(1)) or m.group(1).startswith(("$LP$", "&", "*", "[", "("))):
        return m.group(2).split("::")[0]
    p = path.lstrip("_<&* ")
    for prefix in ("impl ", "dyn "):
        if p.startswith(prefix):
            p = p[len(prefix):]
    m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)", p)
    return m.group(1) if m else "?"


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    path = args[0] if args else "target/front/wasm32-unknown-unknown/wasm-release/frontend.wasm"
    top = int(sys.argv[sys.argv.index("--top") + 1]) if "--top" in sys.argv else 25
    data = open(path, "rb").read()
    imports, bodies, names = 0, [], {}
    for sid, start, size in sections(data):
        if sid == 2:
            imports = imported_functions(data, start)
        elif sid == 10:
            count, i = leb(data, start)
            for _ in range(count):
                n, j = leb(data, i)
                bodies.append(j - i + n)
                i = j + n
        elif sid == 0:
            nl, j = leb(data, start)
            if data[j : j + nl] == b"name":
                i, end = j + nl, start + size
                while i < end:
                    sub = data[i]
                    i += 1
                    sz, i = leb(data, i)
                    if sub == 1:
                        cnt, k = leb(data, i)
                        for _ in range(cnt):
                            idx, k = leb(data, k)
                            ln, k = leb(data, k)
                            names[idx] = data[k : k + ln].decode("utf-8", "replace")
                            k += ln
                    i += sz
    if not names:
        sys.exit(f"{path} has no name section (use the pre-wasm-opt frontend.wasm)")
    by_crate, funcs = Counter(), []
    for n, size in enumerate(bodies):
        name = demangle(names.get(imports + n, f"func{imports + n}"))
        by_crate[crate_of(name)] += size
        funcs.append((size, name))
    total = sum(bodies)
    if "--json" in sys.argv:
        print(json.dumps({"code_bytes": total, "by_crate": by_crate.most_common(top)}))
        return
    print(f"{path}: {len(bodies)} functions, {total} code bytes (before wasm-opt)")
    print(f"{'crate':<28}{'bytes':>10}{'share':>8}")
    for crate, size in by_crate.most_common(top):
        print(f"{crate:<28}{size:>10}{size / total:>8.1%}")
    print(f"\nlargest functions:")
    for size, name in sorted(funcs, reverse=True)[:top]:
        print(f"{size:>9}  {name[:150]}")


main()
