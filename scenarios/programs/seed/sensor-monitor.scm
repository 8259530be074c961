;; Sensor monitoring with cloud reporting (from the seed README, verbatim).
;; Note: the alert's quoted alist holds the *symbols* temp and (current-time), not their
;; values -- `steelhil steel check` warns about it; scenarios/programs/sensor-monitor.scm is fixed.
(define (monitor-sensors)
  (let ((sensors (read-sensors)))
    (let ((temp (get sensors 'temperature))
          (humidity (get sensors 'humidity)))
      
      ;; Log readings
      (log "info" (format "Temp: ~a°C, Humidity: ~a%" temp humidity))
      
      ;; Send to cloud
      (mqtt-publish "sensors/data" (json-encode sensors))
      
      ;; Update device shadow
      (shadow-update "sensor-data" (json-encode sensors))
      
      ;; Check thresholds
      (when (> temp 30)
        (led-on)
        (mqtt-publish "alerts/temperature" 
                     (json-encode '((temperature . temp)
                                  (threshold . 30)
                                  (timestamp . (current-time))))))
      
      ;; Schedule next reading
      (set-timer "sensor-check" 60 monitor-sensors))))

;; Start monitoring
(monitor-sensors)
