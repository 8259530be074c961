;; A type error on line 4, column 3, inside a timer.
(define (boom) (car 42))
(set-timer "boom" 2
  (lambda () (boom)))
