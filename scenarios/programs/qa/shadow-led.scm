;; Follows the desired state of the shadow: {"led": "on"|"off"}, and reports it back.
(on-shadow-delta
  (lambda (delta)
    (let ((led (get delta 'led)))
      (when led
        (if (equal? led "on") (led-on) (led-off))
        (shadow-update "led" led)))))
(log "info" "waiting for desired led")
