"""Just enough PromQL structure for the live test: splitting an expression at its top-level
binary operator, and the metric names it reads.

  split("a > 1000 and delta(a[30m]) > 0")  ->  ("and", "a > 1000", "delta(a[30m]) > 0")
  split("x - time() < 14 * 86400")         ->  ("<", "x - time()", "14 * 86400")
  split("sum by (le) (rate(b[5m]))")       ->  None (no top-level binary operator)
  metric_names('rate(a{x="y"}[5m]) / on(i) b')  ->  ["a", "b"]

An expression is read as tokens (strings, numbers and durations, identifiers, brackets,
operators); depth counts (), {} and []. The root of an expression is its top-level operator of
lowest precedence (or < and, unless < comparisons < + - < * / % atan2 < ^), the last one of
that precedence (they associate to the left), except ^ (the first: it associates to the right).
A + or - is binary only after an operand (an identifier, a number, a closing bracket).
Modifiers of the right operand (bool, on(...), ignoring(...), group_left(...),
group_right(...)) are dropped from it.
"""
import re

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<number>(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
                (?:ms|[smhdwy])?(?:\d+(?:ms|[smhdwy]))*)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>==|!=|>=|<=|=~|!~|[-+*/%^<>=,@])
  | (?P<open>[({\[])
  | (?P<close>[)}\]])
""", re.VERBOSE)

_PRECEDENCE = {"or": 1, "and": 2, "unless": 2, "==": 3, "!=": 3, ">": 3, "<": 3, ">=": 3,
               "<=": 3, "+": 4, "-": 4, "*": 5, "/": 5, "%": 5, "atan2": 5, "^": 6}
COMPARISONS = {"==", "!=", ">", "<", ">=", "<="}
SET_OPERATORS = {"and", "or", "unless"}
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
             "and", "or", "unless", "atan2", "inf", "nan", "start", "end"}
_AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
                 "count_values", "bottomk", "topk", "quantile"}
_MODIFIER = re.compile(r"^\s*(?:bool\b\s*)?(?:(?:on|ignoring)\s*\([^)]*\)\s*)?"
                       r"(?:(?:group_left|group_right)\b\s*(?:\([^)]*\))?\s*)?")


def tokens(expr):
    """[(kind, text, start, end)] without spaces; raises ValueError on a character it cannot
    read."""
    out = []
    pos = 0
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m:
            raise ValueError(f"cannot read {expr[pos:pos + 20]!r} in {expr!r}")
        if m.lastgroup != "space":
            out.append((m.lastgroup, m.group(), m.start(), m.end()))
        pos = m.end()
    return out


def _strip_parens(expr):
    expr = expr.strip()
    while expr.startswith("(") and expr.endswith(")"):
        depth = 0
        for i, (kind, text, _, _) in enumerate(tokens(expr)):
            depth += 1 if kind == "open" else -1 if kind == "close" else 0
            if depth == 0 and i < len(tokens(expr)) - 1:
                return expr  # "(a) + (b)": the first parenthesis closes before the end
        expr = expr[1:-1].strip()
    return expr


def split(expr):
    """(operator, left, right) at the root of `expr`, or None when it has no top-level binary
    operator. Enclosing parentheses are removed first."""
    expr = _strip_parens(expr)
    toks = tokens(expr)
    depth = 0
    best = None  # (precedence, index into toks)
    previous = None
    for i, (kind, text, start, end) in enumerate(toks):
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
        elif depth == 0:
            op = text if kind == "op" else text if kind == "ident" and text in _PRECEDENCE else None
            if op in _PRECEDENCE:
                binary = previous is not None and (
                    previous[0] in ("number", "string", "close")
                    or (previous[0] == "ident" and previous[1] not in _PRECEDENCE))
                if op in ("+", "-") and not binary:
                    op = None  # unary sign
                if op is not None:
                    p = _PRECEDENCE[op]
                    if best is None or p < best[0] or (p == best[0] and op != "^"):
                        best = (p, i)
        previous = (kind, text)
    if best is None:
        return None
    _, i = best
    op, start, end = toks[i][1], toks[i][2], toks[i][3]
    left, right = expr[:start].strip(), expr[end:]
    right = right[_MODIFIER.match(right).end():].strip()
    return op, left, right


def is_literal(expr):
    """True for a number or a calculation of numbers only (8 * 1024, 14 * 86400)."""
    return all(kind in ("number", "op", "open", "close") for kind, _, _, _ in tokens(expr))


def metric_names(expr):
    """The metric names `expr` selects, in order, each once (__name__ matchers included)."""
    toks = tokens(expr)
    names = []
    depth_braces = 0
    skip_group = False  # inside by(...), without(...), on(...), ... label lists
    group_depth = 0
    depth = 0
    for i, (kind, text, _, _) in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if kind == "open":
            depth += 1
            if text == "{":
                depth_braces += 1
            continue
        if kind == "close":
            depth -= 1
            if text == "}":
                depth_braces -= 1
            if skip_group and depth < group_depth:
                skip_group = False
            continue
        if skip_group:
            continue
        if kind == "ident" and text in ("by", "without", "on", "ignoring", "group_left",
                                        "group_right") and nxt and nxt[1] == "(":
            skip_group, group_depth = True, depth + 1
            continue
        if depth_braces:
            if kind == "ident" and text == "__name__" and nxt and nxt[1] == "=":
                value = toks[i + 2][1] if i + 2 < len(toks) else ""
                if value[:1] in "\"'`":
                    names.append(value[1:-1])
            continue
        if kind != "ident" or text.lower() in _KEYWORDS or text in _AGGREGATIONS:
            continue
        if nxt and nxt[1] == "(":
            continue  # a function or an aggregation
        names.append(text)
    seen = []
    for n in names:
        if n not in seen:
            seen.append(n)
    return seen
