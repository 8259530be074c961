"""Steel's names and forms that programs written for Steel use: library macros, struct
options, syntax-rules extensions, built-in modules, documentation comments."""

from .steel_support import ev, fails, output, table

CASES = [
    # all 28 c[ad]r compositions
    ("(caddar '((1 2 3)))", "3"),
    ("(cdaddr '(1 2 (3 4)))", "(4)"),
    ("(cadadr '(1 (2 3)))", "3"),
    ("(caaaar '((((x)))))", "x"),
    ("(push-back '(1 2) 3)", "(1 2 3)"),
    (
        "(list (atom? 1) (atom? \"s\") (atom? 'a) (atom? '(1)) (atom? (vector)))",
        "(#true #true #true #false #false)",
    ),
    # threading
    ("(-> 5 (- 1) (* 2))", "8"),
    ("(->> 5 (- 1) (* 2))", "-8"),
    ("(-> '(3 1 2) reverse car)", "2"),
    ("(define (-> a b) (list a b)) (list (-> 1 2) (map -> '(1) '(2)))", "((1 2) ((1 2)))"),
    # multiple values are lists, as in Steel
    ("(define-values (q r) (floor/ 7 2)) (list q r)", "(3 1)"),
    ("(call-with-values (lambda () (values 1 2)) +)", "3"),
    ("(call-with-values (lambda () 5) list)", "(5)"),
    ("(define (f) (define-values (a b) (values 1 2)) (+ a b)) (f)", "3"),
    # case-lambda
    (
        "(define f (case-lambda [(x) (list 'one x)] [(x y) (list 'two x y)] [(x . r) r]))"
        " (list (f 1) (f 1 2) (f 1 2 3))",
        "((one 1) (two 1 2) (2 3))",
    ),
    # dbg! returns its value
    ("(dbg! (+ 1 2))", "3"),
    (
        "(let ((i 0) (acc '())) (while (< i 3) (set! acc (cons i acc)) (set! i (+ i 1))) acc)",
        "(2 1 0)",
    ),
    ("((delay (+ 1 2)))", "3"),
    # symbols
    ("(list (symbol=? 'a 'a 'a) (symbol=? 'a 'b))", "(#true #false)"),
    (
        "(let ((u (string->uninterned-symbol \"abc\"))) (list (equal? u 'abc) (eq? u 'abc)))",
        "(#true #false)",
    ),
    ("(concat-symbols 'ab 'cd)", "abcd"),
    ("'|pea pod|", "|pea pod|"),
    ("(symbol->string '|a \\| b|)", '"a | b"'),
    ("'#%private", "#%private"),
    # boxes
    ("(let ((b (box 1))) (set-box! b 2) (unbox b))", "2"),
    ("(equal? (box '(1)) (box '(1)))", "#true"),
    ("(let ((t (make-tls 5))) (set-tls! t 6) (get-tls t))", "6"),
    # void is a value (and (void) still works)
    ("(list void (void) (void? void) (procedure? void))", "(#<void> #<void> #true #false)"),
    ("(#%void 1 2)", "#<void>"),
    # definitions inside clause bodies
    (
        "(define (f x) (cond [(> x 0) (define y (* x 2)) (+ y 1)] [else (define z 0) z]))"
        " (list (f 3) (f -1))",
        "(7 0)",
    ),
    ("(when #t (define w 4) (* w w))", "16"),
    ("(if #t (begin (define v 9) v) 0)", "9"),
    # structs
    ("(struct P (x y)) (equal? (P 1 2) (P 1 2))", "#true"),
    ("(struct P (x)) (P 1)", "(P)"),
    ("(struct P (x) #:transparent) (P 1)", "(P 1)"),
    ("(struct Adder (n f) #:prop:procedure 1) ((Adder 1 (lambda (x) (+ x 10))) 5)", "15"),
    (
        "(struct Counter (n) #:prop:procedure (lambda (self x) (+ x (Counter-n self))))"
        " ((Counter 7) 3)",
        "10",
    ),
    (
        "(struct Cell (v) #:mutable #:transparent) (define c (Cell 1)) (set-Cell-v! c 2) c",
        "(Cell 2)",
    ),
    ("(procedure? ((lambda () (struct F (g) #:prop:procedure 0) (F car))))", "#true"),
    # syntax-rules: a variable bound under one ellipsis used under two
    (
        "(define-syntax rows (syntax-rules () [(_ (r (x (y) ...)) ...) '(((x ...) (y ...) r) ...)]))"
        " (rows (1 (a (p) (q))) (2 (b (s))))",
        "(((a b) (p q) 1) ((a b) (s) 2))",
    ),
    (
        "(define-syntax const? (syntax-rules () [(_ x) (syntax-const-if x 'const 'other)]))"
        ' (list (const? 1) (const? "s") (const? y))',
        "(const const other)",
    ),
    (
        "(define-syntax defget (syntax-rules () [(_ name) (define ((datum->syntax get- name)) 'name)]))"
        " (defget thing) (get-thing)",
        "thing",
    ),
    # built-in modules
    (
        '(require "steel/result") (list (map-ok (Ok 1) add1) (map-ok (Err 2) add1)'
        " (unwrap-or (Err 0) 'd) (Result? (Ok 1)))",
        "((Ok 2) (Err 2) d #true)",
    ),
    (
        '(require "steel/option") (list (map-option (Some 2) add1) (unwrap-or (None) 0)'
        " (Option? (None)) (flatten-option (Some (Some 1))))",
        "((Some 3) 0 #true (Some 1))",
    ),
    ('(require (only-in "steel/result" Ok Ok?)) (Ok? (Ok 1))', "#true"),
    ('(require (prefix-in r: "steel/result")) (r:unwrap-ok (r:Ok 4))', "4"),
    ('(require (only-in "steel/result" map-ok (Ok Success))) (map-ok (Success 1) add1)', "(Ok 2)"),
    ("(provide f) (define (f) 1) (f)", "1"),
]


def test_steel_names_and_forms():
    failures = table(CASES)
    assert not failures, "\n".join(failures)


def test_doc_comments_define_the_documentation():
    src = """
;;@doc
;; Adds one.
;; Really.
(define (inc x) (+ x 1))
(list (inc 1) inc__doc__)"""
    assert ev(src) == '(2 "Adds one.\\nReally.\\n")'


def test_dbg_and_help_print():
    assert output("(dbg! (* 2 3))") == "(* 2 3) = 6\n"
    assert output("(help car)") == "car: (car p) — the first element of the pair p\n"
    assert output("(help no-such-name)") == "no-such-name: no documentation\n"


def test_struct_printers():
    src = """(struct Temp (c) #:printer (lambda (t emit) (emit (Temp-c t)) (emit "°C")))
             (display (Temp 21)) (display " ") (write (list (Temp 5))) (display " ")
             (print (Temp 3))"""
    assert output(src) == '21°C (5"°C") 3"°C"'


def test_bad_forms_and_options():
    fails("(struct S (a) #:prop:procedure 3)", "BadSyntax", "not a field of S", (1, 32))
    fails("(struct S (a) #:colour 3)", "BadSyntax", "unknown option #:colour")
    fails("(struct S (a) #:printer)", "BadSyntax", "#:printer needs a value")
    fails("(struct S (a) #:printer 5)", "TypeMismatch", "#:printer")
    fails(
        "(struct S (a) #:printer (lambda (s e) (car 1))) (display (S 1))",
        "TypeMismatch",
        "S's #:printer: car",
    )
    fails(
        "(define f (case-lambda [(x) x])) (f 1 2)", "ArityMismatch", "no clause accepts 2 arguments"
    )
    fails("(define-values x 5)", "BadSyntax", "define-values")
    fails("(define-values (a b) (values 1)) b", "ContractViolation", "list-ref")
    fails("(->)", "BadSyntax", "->")
    fails("(define x ->)", "BadSyntax", "-> is syntax")
    fails("(dbg! 1 2)", "BadSyntax", "dbg!")
    fails("(while)", "BadSyntax", "while")
    fails('(require "steel/lists")', "BadSyntax", "not a built-in module")
    fails('(require (only-in "steel/result" nothing))', "BadSyntax", "not provided")
    fails('(require (only-in "steel/result" Ok)) (unwrap-ok (Ok 1))', "FreeIdentifier", "unwrap-ok")
    fails('(require (for-syntax "steel/result"))', "BadSyntax", "require")
    fails('(require (only-in "steel/result" (Ok)))', "BadSyntax", "(name new-name) pairs")
    fails(
        "(define-syntax m (syntax-rules () [(_ x) (datum->syntax x 5)])) (m a)",
        "BadSyntax",
        "datum->syntax",
    )
    fails("(syntax-const-if 1 2)", "BadSyntax", "syntax-const-if")
    fails(
        "(define-syntax m (syntax-rules () [(_ x ...) x])) (m 1 2)",
        "BadSyntax",
        "used without ...",
        (1, 51),
    )
    fails('(symbol=? \'a "a")', "TypeMismatch", "symbol=?")
    fails("(unbox 5)", "TypeMismatch", "unbox")
    fails("(concat-symbols 'a 1)", "TypeMismatch", "concat-symbols")
    fails("(push-back 5 1)", "TypeMismatch", "push-back")
    fails("(void 1)", "TypeMismatch", "application not a procedure")
    fails("'|unclosed", "Parse", "unterminated |symbol|")
