;; A 1,000,000-deep non-tail recursion: the frames count against the memory cap.
(define (deep n) (if (= n 0) 0 (+ 1 (deep (- n 1)))))
(deep 1000000)
