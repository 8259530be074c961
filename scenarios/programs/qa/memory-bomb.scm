;; Allocates without bound: the memory cap stops it.
(let loop ((acc '()))
  (loop (cons (make-vector 64 0) acc)))
