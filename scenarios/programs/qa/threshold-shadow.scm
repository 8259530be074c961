;; A threshold the cloud sets in the shadow's desired state. The program applies it and
;; reports it; after a reset desired and reported agree, so no delta comes, and the
;; program reads the threshold back with shadow-desired instead of its default.
(define threshold (shadow-desired 'threshold 30))
(log "info" (format "threshold ~a" threshold))

(on-shadow-delta
  (lambda (delta)
    (let ((t (get delta 'threshold)))
      (when (number? t)
        (set! threshold t)
        (log "info" (format "threshold ~a" threshold))
        (shadow-update "threshold" t)))))
