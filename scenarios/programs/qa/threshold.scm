;; Classifies a reading against a threshold.
(define threshold 30)
(let ((t (get (read-sensors) 'temperature)))
  (mqtt-publish "classified"
    (json-encode `((temperature . ,t) (hot . ,(> t threshold))))))
