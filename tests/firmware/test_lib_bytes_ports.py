"""Bytevectors, byte and character ports, parameterize and the current ports, print."""

from .steel_support import ev, fails, output, table

BYTES = [
    ("(bytes 65 66)", "#u8(#x41 #x42)"),
    ("(bytevector 1 2 3)", "#u8(#x01 #x02 #x03)"),
    ("(bytes)", "#u8()"),
    ("(make-bytes 3 7)", "#u8(#x07 #x07 #x07)"),
    ("(bytes-length (make-bytes 4))", "4"),
    ("(bytes-ref (bytes 5 6) 1)", "6"),
    ("(let ((b (bytes 1 2))) (bytes-set! b 0 255) b)", "#u8(#xFF #x02)"),
    ("(equal? (bytes 1 2) (bytevector 1 2))", "#true"),
    ("(eq? (bytes 1) (bytes 1))", "#false"),
    ("(bytes-append (bytes 1) (bytes 2 3))", "#u8(#x01 #x02 #x03)"),
    ("(bytes->list (bytes 9 8))", "(9 8)"),
    ("(list->bytes '(0 255))", "#u8(#x00 #xFF)"),
    ('(string->bytes "aλ")', "#u8(#x61 #xCE #xBB)"),
    ('(bytes-length (string->utf8 "✅"))', "3"),
    ("(bytes->string/utf8 (bytes 206 187))", '"λ"'),
    ("(bytes-copy (bytes 1 2 3) 1)", "#u8(#x02 #x03)"),
    ("(let ((b (bytes 1))) (bytes-push! b 2) b)", "#u8(#x01 #x02)"),
    ("(let ((b (bytes 1))) (bytes-clear! b) b)", "#u8()"),
    (
        "(list (bytes? (bytes)) (bytes? '()) (byte? 255) (byte? 256) (byte? -1))",
        "(#true #false #true #false #false)",
    ),
    ("(hash-ref (hash (bytes 1 2) 'k) (bytes 1 2))", "k"),
]


def test_bytevectors():
    failures = table(BYTES)
    assert not failures, "\n".join(failures)


def test_bytevector_errors():
    fails("(bytes-ref (bytes 1 2) 2)", "ContractViolation", "index out of bounds", (1, 1))
    fails("(bytes-ref (bytes 1 2) -1)", "ContractViolation", "bytes-ref")
    fails("(bytes-set! (bytes 1) 0 256)", "ContractViolation", "256 is not a byte")
    fails("(bytes-set! (bytes 1) 0 'x)", "TypeMismatch", "bytes-set!")
    fails("(bytes 1 300)", "ContractViolation", "bytes: 300 is not a byte")
    fails("(make-bytes -1)", "ContractViolation", "make-bytes")
    fails("(make-bytes 2 1.5)", "TypeMismatch", "make-bytes")
    fails("(list->bytes '(1 x))", "TypeMismatch", "list->bytes")
    fails('(bytes-length "ab")', "TypeMismatch", "bytes-length")
    fails("(bytes->string/utf8 (bytes 255))", "ConversionError", "not valid UTF-8")
    fails("(bytes-append (bytes 1) 2)", "TypeMismatch", "bytes-append")
    fails("(make-bytes 100000000000)", "OutOfMemory", "make-bytes")


def test_input_ports_read_bytes_and_characters():
    assert ev(
        '(let ((p (open-input-string "aλb"))) (list (peek-byte p) (read-char p) '
        "(peek-byte p) (read-char p) (read-byte p) (read-byte p)))"
    ) == ("(97 #\\a 206 #\\λ 98 #<eof>)")
    assert (
        ev(
            '(let ((p (open-input-string "one\\ntwo"))) (list (read-line p) (read-line p) '
            "(read-line p)))"
        )
        == '("one" "two" #<eof>)'
    )
    assert ev("(let ((p (open-input-bytevector (bytes 104 105)))) (read-string 5 p))") == '"hi"'
    assert ev('(read-bytes 2 (open-input-string "xyz"))') == "#u8(#x78 #x79)"
    assert (
        ev('(let ((b (make-bytes 4)) (p (open-input-string "ab"))) (list (read-bytes! b p 1 3) b))')
        == "(2 #u8(#x00 #x61 #x62 #x00))"
    )
    assert (
        ev('(let ((b (make-bytes 3))) (list (read-bytes-into-buf b 3 (open-input-string "q")) b))')
        == "(1 #u8(#x71 #x00 #x00))"
    )
    assert ev('(read-port-to-string (open-input-string "rest of it"))') == '"rest of it"'
    assert ev('(read! "1 (2 x) \\"s\\"")') == '(1 (2 x) "s")'
    assert ev('(let ((p (open-input-string "(a b) 7"))) (list (read p) (read p) (read p)))') == (
        "((a b) 7 #<eof>)"
    )
    # A device has no standard input: the current input port is empty.
    assert ev("(list (read-line) (read-char) (peek-byte))") == "(#<eof> #<eof> #<eof>)"


def test_input_port_errors():
    fails("(read-line 5)", "TypeMismatch", "read-line: expected an input port")
    fails('(read-string -1 (open-input-string "x"))', "ContractViolation", "read-string")
    fails(
        '(read-bytes! (make-bytes 2) (open-input-string "x") 1 5)',
        "ContractViolation",
        "does not fit",
    )
    fails("(read-bytes-into-buf (make-bytes 1) 2)", "ContractViolation", "do not fit")
    fails('(read! "(1 2")', "Parse", "unclosed")
    fails('(open-input-bytevector "s")', "TypeMismatch", "open-input-bytevector")


def test_output_bytes_and_print():
    assert output("(write-byte 104) (write-bytes (bytes 105 206 187)) (newline)") == "hiλ\n"
    assert output('(print \'sym) (print \'(1 "a" #\\b)) (print 1/2) (print "s")') == (
        '\'sym\'(1 "a" #\\b)1/2"s"'
    )
    assert output("(println (vector 1 'a)) (print (hashset 1)) (print '|a b|)") == (
        "'#(1 a)\n(set 1)'|a b|"
    )
    assert output('(simple-display 1 "a" \'b) (stdout-simple-displayln "!")') == "1ab!\n"
    assert output("(write-line! 'done)") == "done\n"
    assert (
        ev('(let ((p (open-output-bytevector))) (write-string "λ" p) (get-output-bytevector p))')
        == "#u8(#xCE #xBB)"
    )
    fails("(write-byte 256)", "ContractViolation", "write-byte: 256")
    fails("(write-byte 'a)", "TypeMismatch", "write-byte")
    fails('(write-bytes "ab")', "TypeMismatch", "write-bytes")


def test_parameterize_redirects_the_current_output_port():
    src = """(define p (open-output-string))
             (parameterize ([current-output-port p])
               (display "in ") (write 'x) (write-char #\\!))
             (display "out")
             (get-output-string p)"""
    assert ev(src) == '"in x!"'
    assert (
        output(
            "(parameterize ([current-output-port (open-output-string)]) (display 1)) (display 2)"
        )
        == "2"
    )
    # an error leaves the extent: the port comes back
    assert (
        output(
            '(with-handler (lambda (e) (display "caught"))'
            ' (parameterize ([current-output-port (open-output-string)]) (error "x")))'
            ' (display "!")'
        )
        == "caught!"
    )
    src = """(define p (open-input-string "typed line"))
             (parameterize ([current-input-port p]) (read-line))"""
    assert ev(src) == '"typed line"'


def test_user_parameters():
    assert (
        ev(
            "(define size (make-parameter 10)) (list (size) "
            "(parameterize ([size 20]) (size)) (size))"
        )
        == "(10 20 10)"
    )
    assert (
        ev(
            "(define a (make-parameter 1)) (define b (make-parameter 2))"
            " (parameterize ([a 3] [b (a)]) (list (a) (b)))"
        )
        == "(3 1)"
    )
    fails("(parameterize ([car 1]) 2)", "TypeMismatch", "parameterize: expected a parameter")
    fails("(define p (make-parameter 1)) (p 2)", "ArityMismatch", "expected 0 arguments")
    fails("(parameterize (x) 1)", "BadSyntax", "parameterize")


def test_string_ports_around_a_body():
    assert ev('(with-output-to-string (lambda () (display "a") (write "b")))') == '"a\\"b\\""'
    assert ev("(call-with-output-string (lambda (p) (display 42 p)))") == '"42"'
    assert ev('(with-input-from-string "x y" read-line)') == '"x y"'
    assert ev('(call-with-input-string "q" read-char)') == "#\\q"
    assert (
        ev('(list (port->string (open-input-string "s")) (port->bytes (open-input-string "z")))')
        == '("s" #u8(#x7A))'
    )
    assert output("(with-output-to-string (lambda () (display 1))) (display 2)") == "2"
    fails("(with-output-to-string 5)", "TypeMismatch", "with-output-to-string")
    fails("(with-input-from-string 5 read-line)", "TypeMismatch", "with-input-from-string")
    fails("(read-bytevector -1)", "ContractViolation", "read-bytevector")


def test_load_is_refused():
    fails('(load "other.scm")', "Io", "cannot load files")
