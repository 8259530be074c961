;; Batched readings, built around the seed README's "Batch operations" fragment:
;; collect a reading every 10 s and publish them ten at a time.
(define readings '())

(define (take-reading)
  (let ((sensors (read-sensors)))
    (set! readings (cons (get sensors 'temperature) readings))
    (when (>= (length readings) 10)
      (mqtt-publish "sensors/batch" (json-encode (reverse readings)))
      (set! readings '()))
    (set-timer "batch-reading" 10 take-reading)))

(take-reading)
