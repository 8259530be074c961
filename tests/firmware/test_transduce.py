"""Transducers, reducers and lazy streams."""

from .steel_support import fails, output, table

INTEGERS = "(define (integers n) (stream-cons n (lambda () (integers (+ n 1)))))"

CASES = [
    ("(transduce '(1 2 3) (mapping add1) (into-list))", "(2 3 4)"),
    ("(transduce (vector 1 2 3 4) (filtering even?) (into-vector))", "#(2 4)"),
    ("(transduce (range 0 10) (taking 3) (into-list))", "(0 1 2)"),
    ("(transduce (range 0 5) (dropping 3) (into-list))", "(3 4)"),
    ("(transduce '(1 2 3) (flat-mapping (lambda (x) (range 0 x))) (into-list))", "(0 0 1 0 1 2)"),
    ("(transduce '((1 2) (3)) (flattening) (into-list))", "(1 2 3)"),
    ("(transduce '(a b) (enumerating) (into-list))", "((0 a) (1 b))"),
    ("(transduce '(1 2 3) (zipping '(x y)) (into-list))", "((1 x) (2 y))"),
    ("(transduce '(1 2 3) (interleaving '(a b c)) (into-list))", "(1 a 2 b 3 c)"),
    ("(transduce '(1 2) (extending '(3 4)) (into-list))", "(1 2 3 4)"),
    (
        "(transduce (range 0 100) (compose (mapping (lambda (x) (* x x))) (filtering odd?)"
        " (taking 3)) (into-list))",
        "(1 9 25)",
    ),
    ("(transduce (range 1 5) (into-sum))", "10"),
    ("(transduce (range 1 5) (into-product))", "24"),
    ("(transduce '(3 9 2) (into-max))", "9"),
    ("(transduce '(3 9 2) (into-min))", "2"),
    ("(transduce '() (into-max))", "#false"),
    ("(transduce '(a b c) (into-count))", "3"),
    ("(transduce '(a b c) (into-last))", "c"),
    ("(transduce '(a b c) (into-nth 1))", "b"),
    ("(transduce '(1 2 3) (into-reducer (lambda (acc x) (+ acc (* 10 x))) 0))", "60"),
    ('(transduce \'(1 "a" #\\b c 1/2) (into-string))', '"1abc1/2"'),
    ("(hash-ref (transduce '((a . 1) (b . 2)) (into-hashmap)) 'b)", "2"),
    ("(hashset-contains? (transduce '(1 2 2) (into-hashset)) 2)", "#true"),
    ('(transduce "ab" (into-list))', "(#\\a #\\b)"),
    ("(transduce (bytes 7 8) (into-list))", "(7 8)"),
    ("(transduce (hash 'k 1) (into-list))", "((k . 1))"),
    ("(transduce (hashset 5) (into-list))", "(5)"),
    ("(equal? (into-sum) (into-sum))", "#true"),
    # streams
    (INTEGERS + "(transduce (integers 0) (taking 4) (into-list))", "(0 1 2 3)"),
    (
        INTEGERS + "(transduce (integers 1) (compose (mapping (lambda (x) (* 2 x))) (taking 3))"
        " (into-list))",
        "(2 4 6)",
    ),
    (INTEGERS + "(stream-car (stream-cdr (stream-cdr (integers 5))))", "7"),
    (INTEGERS + "(stream-car ((#%stream-cdr (integers 5))))", "6"),
    (
        "(list (stream-empty? empty-stream) (stream-empty? (stream-cons 1 (lambda () empty-stream)))"
        " (stream? empty-stream))",
        "(#true #false #true)",
    ),
    (
        "(transduce (stream-cons 1 (lambda () (stream-cons 2 (lambda () empty-stream))))"
        " (into-list))",
        "(1 2)",
    ),
]


def test_transducers_and_streams():
    failures = table(CASES)
    assert not failures, "\n".join(failures)


def test_an_infinite_stream_is_forced_only_as_far_as_needed():
    src = """(define forced 0)
             (define (from n) (stream-cons n (lambda () (set! forced (+ forced 1)) (from (+ n 1)))))
             (display (transduce (from 0) (taking 3) (into-list)))
             (display forced)"""
    assert output(src) == "(0 1 2)2"


def test_for_each_reducer_and_display_inside():
    assert output("(transduce '(1 2) (into-for-each (lambda (x) (display x))))") == "12"


def test_transducer_errors():
    fails("(mapping 5)", "TypeMismatch", "mapping: expected a procedure", (1, 1))
    fails("(taking -1)", "ContractViolation", "taking")
    fails("(taking 1.5)", "TypeMismatch", "taking")
    fails("(transduce '(1) (mapping car))", "TypeMismatch", "transduce: expected a reducer")
    fails("(transduce '(1) (into-list) (into-list))", "TypeMismatch", "expected a transducer")
    fails("(transduce 5 (into-list))", "TypeMismatch", "transduce")
    fails("(transduce '(1 a) (into-sum))", "TypeMismatch", "into-sum")
    fails("(transduce '(1 2) (into-hashmap))", "TypeMismatch", "into-hashmap")
    fails("(compose (mapping car) 5)", "TypeMismatch", "compose")
    fails("(into-nth -2)", "ContractViolation", "into-nth")
    fails("(stream-cons 1 2)", "TypeMismatch", "stream-cons")
    fails("(stream-car empty-stream)", "ContractViolation", "the stream is empty")
    fails("(stream-cdr 5)", "TypeMismatch", "stream")
    fails("(transduce '(1) (mapping (lambda (x) (car x))) (into-list))", "TypeMismatch", "car")
