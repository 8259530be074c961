(log "info" "hello")
