;; A language-only example (no device needed): summary statistics of a reading series,
;; printed as JSON.  Run it with: steelhil steel run scenarios/programs/stats.scm
(define readings '(21.5 22.0 23.25 31.0 29.5 24.0 22.75))

(define (mean xs) (/ (foldl + 0 xs) (length xs)))

(define (variance xs)
  (let ((m (mean xs)))
    (mean (map (lambda (x) (* (- x m) (- x m))) xs))))

(define (summary xs)
  (hash 'count (length xs)
        'min (apply min xs)
        'max (apply max xs)
        'mean (mean xs)
        'stddev (sqrt (variance xs))
        'alerts (length (filter (lambda (x) (> x 30)) xs))))

(displayln (json-encode (summary readings)))
