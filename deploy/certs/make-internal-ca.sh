#!/bin/sh
# An internal certificate authority for an intranet without a public domain, and the certificates the stack
# needs (docs/deployment.md, "Certificates"):
#   deploy/certs/make-internal-ca.sh hub.lakeview.lan [more names or IP addresses ...]
# writes
#   deploy/ca/ca.key, ca.crt    the CA; keep ca.key offline once the certificates are made (a USB stick in a safe)
#   deploy/certs/ca.crt         the CA's certificate, to install on the phones and the devices
#   deploy/certs/hub.crt, .key  for Caddy, with CADDY_TLS="/certs/hub.crt /certs/hub.key"
#   deploy/certs/mqtt.crt, .key for Mosquitto's TLS listener (8883)
# Run it again to renew the certificates (before CERT_DAYS run out): an existing CA is reused, so phones and
# devices that trust it need nothing new. CERTS_DIR and CA_DIR choose other folders.
set -eu

if [ $# -lt 1 ]; then
    echo "usage: $0 NAME [NAME or IP ...]   e.g. $0 hub.lakeview.lan 192.168.10.5" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
certs=${CERTS_DIR:-$here}
ca=${CA_DIR:-$here/../ca}
# 825 days: the longest validity iOS accepts for a server certificate.
days=${CERT_DAYS:-825}

umask 077
mkdir -p "$certs" "$ca"
if [ ! -f "$ca/ca.key" ]; then
    openssl req -x509 -newkey rsa:3072 -nodes -sha256 -days 3650 \
        -keyout "$ca/ca.key" -out "$ca/ca.crt" -subj "/CN=Facilities internal CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
fi

names=""
for name in "$@"; do
    case "$name" in
    *:*) kind=IP ;;        # an IPv6 address
    *[!0-9.]*) kind=DNS ;; # anything but digits and dots: a name
    *) kind=IP ;;
    esac
    names="${names:+$names,}$kind:$name"
done

for service in hub mqtt; do
    openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$certs/$service.key" -out "$certs/$service.csr" \
        -subj "/CN=$1"
    printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' \
        "$names" >"$certs/$service.ext"
    openssl x509 -req -sha256 -in "$certs/$service.csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" \
        -CAserial "$ca/ca.srl" -CAcreateserial -days "$days" -extfile "$certs/$service.ext" -out "$certs/$service.crt"
    rm -f "$certs/$service.csr" "$certs/$service.ext"
done
cp "$ca/ca.crt" "$certs/ca.crt"
chmod 644 "$certs/ca.crt" "$certs/hub.crt" "$certs/mqtt.crt"
echo "certificates for $names in $certs; the CA is in $ca (keep ca.key offline)"
