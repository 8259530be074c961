(log "info" (format "hello from ~a" (device-id)))
(mqtt-publish "hello" (json-encode `((device . ,(device-id)))))
