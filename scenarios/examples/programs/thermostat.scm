;; Reports the temperature every 30 s; the LED is on while it is above 28 °C.
(define (check)
  (let ((t (get (read-sensors) 'temperature)))
    (mqtt-publish "sensors/temp" (json-encode `((temperature . ,t))))
    (if (> t 28) (led-on) (led-off))
    (set-timer "check" 30 check)))

(check)
