;; Reports the wall clock every 10 s.
(define (report)
  (mqtt-publish "clock" (json-encode `((now . ,(current-time)))))
  (set-timer "clock" 10 report))
(report)
