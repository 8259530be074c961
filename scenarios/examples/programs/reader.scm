;; Publishes a reading (temperature and humidity) every 10 s.
(define (tick)
  (mqtt-publish "sensors/data" (json-encode (read-sensors)))
  (set-timer "tick" 10 tick))

(tick)
