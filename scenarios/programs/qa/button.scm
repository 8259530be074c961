;; The BOOT button toggles the LED and reports each press.
(define presses 0)
(on-button
  (lambda (down)
    (when down
      (set! presses (+ presses 1))
      (if (odd? presses) (led-on) (led-off))
      (mqtt-publish "button" (json-encode `((presses . ,presses)))))))
