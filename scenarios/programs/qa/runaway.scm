;; Loops forever without suspending: the step limit stops it.
(define (spin n) (spin (+ n 1)))
(spin 0)
