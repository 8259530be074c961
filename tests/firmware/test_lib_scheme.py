"""The standard library seen from Steel programs, through the interpreter."""

from firmware.steel import Interpreter, SteelError, write_string

from .support import raises

CASES = [
    # numbers
    ("(+ 1 2 3)", "6"),
    ("(- 10 1 2)", "7"),
    ("(* 1.5 2)", "3.0"),
    ("(/ 10 4)", "5/2"),
    ("(/ 12 4)", "3"),
    ("(quotient -7 2)", "-3"),
    ("(modulo -7 2)", "1"),
    ("(expt 2 100)", "1267650600228229401496703205376"),
    ("(exact->inexact 1)", "1.0"),
    ("(exact 3.0)", "3"),
    ("(round 2.5)", "2.0"),
    ("(sqrt 16)", "4"),
    ("(max 1 2.0)", "2.0"),
    ("(number->string 255 16)", '"ff"'),
    ('(string->number "1e2")', "100.0"),
    ('(string->number "abc")', "#false"),
    ("(< 1 2 3)", "#true"),
    ("(= 1 1.0)", "#true"),
    ("(integer? 2.0)", "#true"),
    ("(exact? 2.0)", "#false"),
    ("(gcd 12 18)", "6"),
    ("(add1 (sub1 5))", "5"),
    ("(log 100 10)", "2.0"),
    # equality
    ("(equal? '(1 (2 #(3))) (list 1 (list 2 (vector 3))))", "#true"),
    ("(equal? 1 1.0)", "#false"),
    ("(eqv? 2.0 2.0)", "#true"),
    ("(eq? 'a 'a)", "#true"),
    ("(not 0)", "#false"),
    ("(null? '())", "#true"),
    ("(list? '(1 . 2))", "#false"),
    ("(procedure? car)", "#true"),
    ("(void? (void))", "#true"),
    # lists
    ("(cons 1 2)", "(1 . 2)"),
    ("(cadr '(1 2 3))", "2"),
    ("(append '(1) '(2 3) '())", "(1 2 3)"),
    ("(reverse (range 5))", "(4 3 2 1 0)"),
    ("(range 2 10 3)", "(2 5 8)"),
    ("(list-tail '(1 2 3) 2)", "(3)"),
    ("(take '(1 2 3) 2)", "(1 2)"),
    ("(take '(1 2 3) 5)", "(1 2 3)"),
    ("(drop '(1 2 3) 2)", "(3)"),
    ('(assoc "b" \'(("a" . 1) ("b" . 2)))', '("b" . 2)'),
    ("(member 2 '(1 2 3))", "(2 3)"),
    ("(last '(1 2 3))", "3"),
    ("(length (range 1000))", "1000"),
    ("(remove-duplicates '(a b a c b))", "(a b c)"),
    ("(list->vector '(1 2))", "#(1 2)"),
    # strings and chars
    ('(string-append "foo" "bar")', '"foobar"'),
    ('(substring "hello" 1 3)', '"el"'),
    ('(string-upcase "abc")', '"ABC"'),
    ('(string-split "a,b,c" ",")', '("a" "b" "c")'),
    ('(string-join (list "a" "b") "-")', '"a-b"'),
    ('(string-contains? "hello" "ell")', "#true"),
    ('(starts-with? "hello" "he")', "#true"),
    ('(trim "  x  ")', '"x"'),
    ('(string->list "ab")', "(#\\a #\\b)"),
    ("(list->string (list #\\a #\\b))", '"ab"'),
    ('(string->symbol "sym")', "sym"),
    ("(symbol->string 'sym)", '"sym"'),
    ('(string<? "apple" "banana")', "#true"),
    ('(string-replace "a-b-c" "-" "+")', '"a+b+c"'),
    ("(char->integer #\\A)", "65"),
    ("(integer->char 97)", "#\\a"),
    ("(char-upcase #\\a)", "#\\A"),
    ("(char-numeric? #\\5)", "#true"),
    ("(char->digit #\\7)", "7"),
    ('(to-string "n =" 5)', '"n = 5"'),
    ('(string-ref "abc" 2)', "#\\c"),
    # vectors
    ("(let ((v (make-vector 3 0))) (vector-set! v 1 'x) v)", "#(0 x 0)"),
    ("(vector-ref (vector 1 2 3) 2)", "3"),
    ("(vector-length (vector))", "0"),
    ("(vector->list (vector-append (vector 1) (vector 2)))", "(1 2)"),
    ("(let ((v (vector 1 2 3))) (vector-fill! v 0) v)", "#(0 0 0)"),
    # hash maps and sets
    ("(hash-ref (hash 'a 1 'b 2) 'b)", "2"),
    ("(hash-try-get (hash 'a 1) 'z)", "#false"),
    ("(hash-keys->list (hash-insert (hash 'a 1) 'b 2))", "(a b)"),
    ("(hash-length (hash-remove (hash 'a 1 'b 2) 'a))", "1"),
    ("(hash-contains? (hash 1 2) 1.0)", "#false"),
    ("(hash->list (hash-union (hash 'a 1) (hash 'a 2 'b 3)))", "((a . 1) (b . 3))"),
    ("(hashset->list (hashset-insert (hashset 1 2) 3))", "(1 2 3)"),
    ("(hashset-contains? (list->hashset '(1 2)) 2)", "#true"),
    # output and format
    (
        '(let ((p (open-output-string))) (write "x" p) (display 1 p) (get-output-string p))',
        '"\\"x\\"1"',
    ),
    ('(let ((p (open-input-string "l1\\nl2"))) (read-line p) (read-line p))', '"l2"'),
    ('(eof-object? (read-char (open-input-string "")))', "#true"),
    ('(format "~a + ~s = ~a~%" 1 "two" 3)', '"1 + \\"two\\" = 3\\n"'),
    # JSON
    (
        "(json-encode (hash 'b 1 'a (list 1 2.5 #t (void))))",
        '"{\\"b\\":1,\\"a\\":[1,2.5,true,null]}"',
    ),
    ('(json-encode \'((temp . 21.5) (unit . "C")))', '"{\\"temp\\":21.5,\\"unit\\":\\"C\\"}"'),
    ('(hash-ref (json-decode "{\\"k\\": [1, {\\"n\\": null}]}") \'k)', "(1 #hash((n . #<void>)))"),
    ('(value->jsexpr-string (string->jsexpr "[1,2]"))', '"[1,2]"'),
]


def _eval(source, **kw):
    out = []
    interp = Interpreter(output=out.append, **kw)
    return interp.eval(source), "".join(out)


def test_expressions():
    failures = []
    for source, expected in CASES:
        try:
            got = write_string(_eval(source)[0])
        except SteelError as e:
            got = "error: %s" % e
        if got != expected:
            failures.append("%s => %s, expected %s" % (source, got, expected))
    assert not failures, "\n".join(failures)


def test_output_goes_to_the_interpreter_output():
    value, out = _eval('(display "a") (write "b") (newline) (displayln 1 2) (printf "~a!" 3)')
    assert out == 'a"b"\n1 2\n3!'


ERRORS = [
    ("(car '())", "TypeMismatch", "car"),
    ("(car 5)", "TypeMismatch", "car"),
    ('(+ 1 "2")', "TypeMismatch", "+"),
    ("(/ 1 0)", "ContractViolation", "division by zero"),
    ("(vector-ref (vector 1) 1)", "ContractViolation", "vector-ref"),
    ("(list-ref '(1) 3)", "ContractViolation", "list-ref"),
    ("(hash-ref (hash) 'k)", "ContractViolation", "hash-ref"),
    ('(string-ref "" 0)', "ContractViolation", "string-ref"),
    ("(integer->char -1)", "ConversionError", "integer->char"),
    ("(exact +inf.0)", "ConversionError", "exact"),
    ('(substring "abc" -1)', "ContractViolation", "substring"),
    ('(format "~a ~a" 1)', "ContractViolation", "format"),
    ('(format "~z")', "ContractViolation", "~z"),
    ('(json-decode "[1,")', "ContractViolation", "invalid JSON"),
    ("(json-encode +nan.0)", "ConversionError", "json-encode"),
    ('(json-decode "NaN")', "ContractViolation", "NaN"),
    ('(error "boom" 1)', "Generic", "boom"),
]


def test_errors():
    for source, kind, fragment in ERRORS:
        with raises(SteelError) as r:
            _eval(source)
        assert r.value.kind == kind, (source, r.value.kind, r.value.message)
        assert fragment in r.value.message, (source, r.value.message)


def test_errors_can_be_caught_by_programs():
    value, _ = _eval("(with-handler (lambda (e) (error-object-message e)) (vector-ref (vector) 0))")
    assert "vector-ref" in value


def test_memory_limit():
    for source in (
        "(make-vector 1000000000 0)",
        "(range 0 1e12)",
        "(range 0 100000)",
        "(make-string 1000000 #\\a)",
        "(expt 7 1000000)",
    ):
        with raises(SteelError) as r:
            _eval(source, memory_limit=200000)
        assert r.value.kind == "OutOfMemory", (source, r.value)


def test_random_is_reproducible_per_seed():
    src = "(list (random 1000) (random 1000) (random 1000))"
    a = write_string(_eval(src, seed=3)[0])
    b = write_string(_eval(src, seed=3)[0])
    c = write_string(_eval(src, seed=4)[0])
    assert a == b
    assert a != c


def test_deep_json_through_the_interpreter():
    depth = 5000
    doc = "[" * depth + "]" * depth
    value, _ = _eval('(json-encode (json-decode "%s"))' % doc)
    assert value == doc
