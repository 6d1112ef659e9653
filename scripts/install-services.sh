#!/usr/bin/env bash
# Installs the servers the demo and the tests run (Debian/Ubuntu), only those that are missing.
set -euo pipefail
missing=()
command -v mosquitto >/dev/null || missing+=(mosquitto)
command -v influxd >/dev/null || missing+=(influxdb)
command -v victoria-metrics >/dev/null || missing+=(victoria-metrics)
command -v socat >/dev/null || missing+=(socat)  # a real pseudo-terminal pair for the Modbus RTU tests
command -v docker-compose >/dev/null || missing+=(docker-compose)  # validates docker-compose.yml without an engine
command -v caddy >/dev/null || missing+=(caddy)  # runs deploy/caddy/Caddyfile in the tests (the stack's HTTPS proxy)
command -v openssl >/dev/null || missing+=(openssl)  # deploy/certs/make-internal-ca.sh and the TLS tests
command -v chromium >/dev/null || missing+=(chromium)  # the web console's browser tests, headless
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)  # PDF pages to PNG in the label-sheet and report tests
(ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0) || missing+=(libpango-1.0-0 libpangoft2-1.0-0)  # WeasyPrint's PDFs
(command -v fc-list >/dev/null && fc-list :lang=zh | grep -q .) || missing+=(fonts-wqy-microhei)  # Chinese text in screenshots
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
# Debian's packages start system services we do not use; the demo and tests run their own instances.
