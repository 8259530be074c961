;; The closing parenthesis of the define is missing: line 3 opens a form that never ends.
(define threshold 30)
(define (check t)
  (when (> t threshold)
    (led-on))
