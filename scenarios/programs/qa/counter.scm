;; Publishes {"n": 1} .. {"n": 12}, one every 5 s (QoS 1), then finishes.
(define n 0)
(define (tick)
  (set! n (+ n 1))
  (mqtt-publish "counter" (json-encode `((n . ,n))))
  (when (< n 12) (set-timer "tick" 5 tick)))
(tick)
