;; LED and pixel driven by commands on cmd/led: "on", "off" or "r,g,b".
(mqtt-subscribe "cmd/led"
  (lambda (topic payload)
    (cond ((equal? payload "on") (led-on))
          ((equal? payload "off") (led-off))
          (else
           (let ((rgb (map string->number (string-split payload ","))))
             (led-set-color (car rgb) (cadr rgb) (caddr rgb)))))
    (mqtt-publish "cmd/ack" payload)))
(log "info" "listening on cmd/led")
