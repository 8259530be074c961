"""``syntax-rules`` macros: pattern matching and template instantiation.

Hygiene is by renaming: every symbol a template introduces (one that is not a pattern
variable) becomes an :class:`Ident` that is fresh for this expansion.  A binding form in the
expansion binds the Ident, not the user's symbol, so a macro's ``tmp`` never captures the
user's ``tmp``; an Ident that the expansion does not bind resolves to what its symbol
meant where the macro was defined.  This is the classic renaming approximation of
hygiene; it covers macros that introduce temporaries and refer to globals, which is what
device programs write.
"""

from .errors import BAD_SYNTAX, SteelError
from .values import NIL, Pair, SrcPair, Symbol, intern

ELLIPSIS = intern("...")
UNDERSCORE = intern("_")
DATUM_TO_SYNTAX = intern("datum->syntax")


class Ident:
    """A symbol renamed by one macro expansion; ``env`` is the macro's definition scope."""

    __slots__ = ("sym", "mark", "env")

    def __init__(self, sym, mark, env):
        self.sym = sym
        self.mark = mark
        self.env = env

    def __repr__(self):
        return base_symbol(self).name


def base_symbol(x):
    """The plain symbol under any number of renamings."""
    while type(x) is Ident:
        x = x.sym
    return x


def is_identifier(x):
    return type(x) is Symbol or type(x) is Ident


def _is_pair(x):
    return type(x) is Pair or type(x) is SrcPair


class _Seq:
    """The matches of a pattern under an ellipsis: one binding per repetition.  ``depth``
    is how many ellipses the pattern variable was under (``items`` may be empty)."""

    __slots__ = ("items", "depth")

    def __init__(self, items, depth=1):
        self.items = items
        self.depth = depth


class Macro:
    __slots__ = ("name", "literals", "rules", "ellipsis", "env")

    def __init__(self, name, literals, rules, ellipsis, env):
        self.name = name
        self.literals = literals  # list of base symbols
        self.rules = rules  # list of (pattern, template)
        self.ellipsis = ellipsis
        self.env = env


_marks = [0]


def parse_syntax_rules(name, spec, env, pos, source):
    """Build a Macro from ``(syntax-rules (literal ...) (pattern template) ...)``."""

    def bad(msg):
        return SteelError(BAD_SYNTAX, msg, pos[0], pos[1], source)

    if not _is_pair(spec) or base_symbol(spec.car) is not intern("syntax-rules"):
        raise bad("define-syntax: expected (syntax-rules (literal ...) rule ...)")
    rest = spec.cdr
    ellipsis = ELLIPSIS
    if _is_pair(rest) and is_identifier(rest.car):
        ellipsis = base_symbol(rest.car)
        rest = rest.cdr
    if not _is_pair(rest):
        raise bad("syntax-rules: missing literal list")
    literals = []
    lits = rest.car
    while _is_pair(lits):
        if not is_identifier(lits.car):
            raise bad("syntax-rules: literals must be identifiers")
        literals.append(base_symbol(lits.car))
        lits = lits.cdr
    if lits is not NIL:
        raise bad("syntax-rules: literals must be a list")
    rules = []
    r = rest.cdr
    while _is_pair(r):
        rule = r.car
        if not _is_pair(rule) or not _is_pair(rule.cdr) or rule.cdr.cdr is not NIL:
            raise bad("syntax-rules: each rule must be (pattern template)")
        pattern = rule.car
        if not _is_pair(pattern):
            raise bad("syntax-rules: a pattern must be a list starting with the macro keyword")
        rules.append((pattern.cdr, rule.cdr.car))
        r = r.cdr
    if not rules:
        raise bad("syntax-rules: no rules")
    return Macro(name, literals, rules, ellipsis, env)


def expand(macro, form, pos, source):
    """Expand one use of ``macro``; ``form`` is the whole ``(keyword ...)`` datum."""
    for pattern, template in macro.rules:
        binds = {}
        try:
            if _match(macro, pattern, form.cdr, binds):
                _marks[0] += 1
                renames = {}
                return _instantiate(macro, template, binds, renames, _marks[0], pos)
        except SteelError as e:
            raise e.locate(pos, source)
    raise SteelError(
        BAD_SYNTAX,
        "%s: no syntax rule matches this use" % base_symbol(macro.name).name,
        pos[0],
        pos[1],
        source,
    )


# --- matching ----------------------------------------------------------------------------


def _is_ellipsis(macro, x):
    return is_identifier(x) and base_symbol(x) is macro.ellipsis


def _list_parts(x):
    """The elements of a possibly improper list and its tail."""
    items = []
    while _is_pair(x):
        items.append(x.car)
        x = x.cdr
    return items, x


def _match(macro, pat, form, binds):
    if is_identifier(pat):
        b = base_symbol(pat)
        if b in macro.literals:
            return is_identifier(form) and base_symbol(form) is b
        if b is UNDERSCORE:
            return True
        binds[pat] = form
        return True
    if _is_pair(pat):
        pitems, ptail = _list_parts(pat)
        ell = -1
        for i in range(len(pitems)):
            if _is_ellipsis(macro, pitems[i]):
                ell = i
                break
        fitems, ftail = _list_parts(form)
        if ell < 0:
            if len(fitems) < len(pitems):
                return False
            for i in range(len(pitems)):
                if not _match(macro, pitems[i], fitems[i], binds):
                    return False
            rest_form = _rebuild(fitems[len(pitems) :], ftail)
            if ptail is NIL:
                return rest_form is NIL
            return _match(macro, ptail, rest_form, binds)
        before = pitems[: ell - 1]
        repeated = pitems[ell - 1]
        after = pitems[ell + 1 :]
        if ell == 0:
            raise SteelError(BAD_SYNTAX, "syntax-rules: ... must follow a pattern")
        min_len = len(before) + len(after)
        if len(fitems) < min_len:
            return False
        if ptail is NIL and ftail is not NIL:
            return False
        for i in range(len(before)):
            if not _match(macro, before[i], fitems[i], binds):
                return False
        nrep = len(fitems) - min_len
        reps = []
        for i in range(len(before), len(before) + nrep):
            b = {}
            if not _match(macro, repeated, fitems[i], b):
                return False
            reps.append(b)
        depths = _depths(macro, repeated, False)
        for var in _pattern_vars(macro, repeated):
            binds[var] = _Seq([b[var] for b in reps], depths.get(var, 0) + 1)
        for j in range(len(after)):
            if not _match(macro, after[j], fitems[len(before) + nrep + j], binds):
                return False
        if ptail is NIL:
            return True
        return _match(macro, ptail, ftail, binds)
    if pat is NIL:
        return form is NIL
    if type(pat) is list:
        if type(form) is not list:
            return False
        return _match(macro, _rebuild(pat, NIL), _rebuild(form, NIL), binds)
    # literal datum
    return _datum_equal(pat, form)


def _datum_equal(a, b):
    if type(a) is not type(b):
        return False
    return a == b


def _rebuild(items, tail):
    r = tail
    for i in range(len(items) - 1, -1, -1):
        r = Pair(items[i], r)
    return r


def _pattern_vars(macro, pat):
    out = []
    stack = [pat]
    while stack:
        p = stack.pop()
        if is_identifier(p):
            b = base_symbol(p)
            if b not in macro.literals and b is not UNDERSCORE and b is not macro.ellipsis:
                out.append(p)
        elif _is_pair(p):
            stack.append(p.car)
            stack.append(p.cdr)
        elif type(p) is list:
            stack.extend(p)
    return out


# --- instantiation -----------------------------------------------------------------------


def _instantiate(macro, tmpl, binds, renames, mark, pos):
    if is_identifier(tmpl):
        if tmpl in binds:
            v = binds[tmpl]
            if type(v) is _Seq:
                raise SteelError(
                    BAD_SYNTAX,
                    "syntax-rules: pattern variable %s used without ..." % base_symbol(tmpl).name,
                )
            return v
        r = renames.get(tmpl)
        if r is None:
            r = Ident(tmpl, mark, macro.env)
            renames[tmpl] = r
        return r
    if _is_pair(tmpl):
        # (... ...) escapes the ellipsis
        if _is_ellipsis(macro, tmpl.car) and _is_pair(tmpl.cdr):
            return _instantiate_escaped(tmpl.cdr.car, binds, renames, mark, macro, pos)
        items, tail = _list_parts(tmpl)
        out = []
        i = 0
        n = len(items)
        while i < n:
            sub = items[i]
            depth = 0
            while i + 1 + depth < n and _is_ellipsis(macro, items[i + 1 + depth]):
                depth += 1
            if depth == 0:
                out.append(_instantiate(macro, sub, binds, renames, mark, pos))
            else:
                expansions = _expand_ellipsis(macro, sub, binds, renames, mark, pos, depth)
                out.extend(expansions)
            i += 1 + depth
        t = NIL if tail is NIL else _instantiate(macro, tail, binds, renames, mark, pos)
        if out and is_identifier(out[0]) and base_symbol(out[0]) is DATUM_TO_SYNTAX:
            return _joined_identifier(out[1:], pos)
        r = t
        for k in range(len(out) - 1, -1, -1):
            r = SrcPair(out[k], r, pos)
        return r
    if type(tmpl) is list:
        lst = _instantiate(macro, _rebuild(tmpl, NIL), binds, renames, mark, pos)
        items, _ = _list_parts(lst)
        return items
    return tmpl


def _depths(macro, pat, template):
    """{pattern variable: how many ellipses it appears under in ``pat``} (the deepest
    occurrence).  In a template, ``(... ...)`` escapes are skipped."""
    out = {}
    stack = [(pat, 0)]
    while stack:
        p, d = stack.pop()
        if is_identifier(p):
            b = base_symbol(p)
            if b not in macro.literals and b is not UNDERSCORE and b is not macro.ellipsis:
                if out.get(p, -1) < d:
                    out[p] = d
        elif _is_pair(p):
            if template and _is_ellipsis(macro, p.car):
                continue
            items, tail = _list_parts(p)
            i = 0
            while i < len(items):
                k = 0
                while i + 1 + k < len(items) and _is_ellipsis(macro, items[i + 1 + k]):
                    k += 1
                stack.append((items[i], d + k))
                i += 1 + k
            if tail is not NIL:
                stack.append((tail, d))
        elif type(p) is list:
            stack.append((_rebuild(p, NIL), d))
    return out


def _joined_identifier(parts, pos):
    """``(datum->syntax a b c)`` in a template: the plain (unrenamed) identifier whose
    name is the parts' names run together, as Steel builds ``Stack.push`` from
    ``(datum->syntax struct-name |.| push)``; the program can name what it defines."""
    names = []
    for p in parts:
        if not is_identifier(p):
            raise SteelError(
                BAD_SYNTAX, "datum->syntax: expected identifiers to join", pos[0], pos[1]
            )
        names.append(base_symbol(p).name)
    return intern("".join(names))


def _expand_ellipsis(macro, sub, binds, renames, mark, pos, depth):
    # The variables this ellipsis iterates: those bound under more ellipses than they
    # appear under inside ``sub``.  A variable bound under one ellipsis and used under
    # two (``(x ...) ...`` with x from ``(x y ...) ...``) repeats whole, as in Steel.
    occurs = _depths(macro, sub, True)
    vars_here = [
        v for v in occurs if v in binds and type(binds[v]) is _Seq and binds[v].depth > occurs[v]
    ]
    if not vars_here:
        raise SteelError(
            BAD_SYNTAX, "syntax-rules: ... follows a template without pattern variables"
        )
    length = None
    for v in vars_here:
        n = len(binds[v].items)
        if length is None:
            length = n
        elif n != length:
            raise SteelError(
                BAD_SYNTAX, "syntax-rules: pattern variables under ... matched different lengths"
            )
    results = []
    for i in range(length):
        b = dict(binds)
        for v in vars_here:
            b[v] = binds[v].items[i]
        if depth > 1:
            results.extend(_expand_ellipsis(macro, sub, b, renames, mark, pos, depth - 1))
        else:
            results.append(_instantiate(macro, sub, b, renames, mark, pos))
    return results


def _instantiate_escaped(tmpl, binds, renames, mark, macro, pos):
    """Instantiate with ``...`` taken literally (the ``(... ...)`` escape)."""
    saved = macro.ellipsis
    macro.ellipsis = None
    try:
        return _instantiate(macro, tmpl, binds, renames, mark, pos)
    finally:
        macro.ellipsis = saved
