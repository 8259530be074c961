;; The seed's sensor monitor with its alert fixed: quasiquote puts the *values* of temp
;; and (current-time) into the alert, where the seed's plain quote put their names.
(define threshold 30)

(define (monitor-sensors)
  (let* ((sensors (read-sensors))
         (temp (get sensors 'temperature))
         (humidity (get sensors 'humidity)))
    (log "info" (format "Temp: ~a°C, Humidity: ~a%" temp humidity))
    (mqtt-publish "sensors/data" (json-encode sensors))
    (shadow-update "sensor-data" (json-encode sensors))
    (when (> temp threshold)
      (led-on)
      (mqtt-publish "alerts/temperature"
                    (json-encode `((temperature . ,temp)
                                   (threshold . ,threshold)
                                   (timestamp . ,(current-time))))))
    (set-timer "sensor-check" 60 monitor-sensors)))

(monitor-sensors)
