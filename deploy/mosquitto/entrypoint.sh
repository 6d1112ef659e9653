#!/bin/sh
# Start-up of the eclipse-mosquitto container: write the private files, then run the command.
# - passwords, acl: the device and gateway accounts from deploy/mosquitto/auth (`facilities devices
#   credentials --mosquitto-dir deploy/mosquitto/auth`), plus the hub's account hashed from MQTT_HUB_PASSWORD;
# - with MQTT_SIMULATOR_PASSWORD set (--profile demo), the simulators' account, which may publish every
#   asset's telemetry;
# - certs: the TLS certificate and key of the 8883 listener from deploy/certs.
# They are copied into the data volume because Mosquitto wants them owned by its user and private.
set -eu

data_dir=${MOSQUITTO_DATA_DIR:-/mosquitto/data}
auth_dir=${MOSQUITTO_AUTH_DIR:-$(dirname "$0")/auth}
cert_dir=${MOSQUITTO_CERT_DIR:-/mosquitto/certs}

missing() {
    echo "entrypoint.sh: $1 is missing; $2 (docs/deployment.md)" >&2
    exit 1
}
[ -f "$auth_dir/passwords" ] && [ -f "$auth_dir/acl" ] ||
    missing "$auth_dir/passwords or acl" "run: facilities devices credentials --mosquitto-dir deploy/mosquitto/auth"
[ -f "$cert_dir/mqtt.crt" ] && [ -f "$cert_dir/mqtt.key" ] ||
    missing "$cert_dir/mqtt.crt or mqtt.key" "run: deploy/certs/make-internal-ca.sh <PUBLIC_DOMAIN>, or copy yours there"

umask 077
mkdir -p "$data_dir/certs"
cp "$auth_dir/passwords" "$data_dir/passwords"
cp "$auth_dir/acl" "$data_dir/acl"
mosquitto_passwd -b "$data_dir/passwords" facilities-hub "${MQTT_HUB_PASSWORD:?MQTT_HUB_PASSWORD is not set}"
if [ -n "${MQTT_SIMULATOR_PASSWORD:-}" ]; then
    mosquitto_passwd -b "$data_dir/passwords" facilities-simulator "$MQTT_SIMULATOR_PASSWORD"
    printf '\n# MQTT_SIMULATOR_PASSWORD is set: the simulated community publishes for every asset.\n%s\n%s\n' \
        "user facilities-simulator" "topic write facilities/+/+/telemetry" >>"$data_dir/acl"
    echo "entrypoint.sh: the simulators' account is on; it may publish any asset's telemetry (demo only)" >&2
fi
cp "$cert_dir/mqtt.crt" "$cert_dir/mqtt.key" "$data_dir/certs/"
if id mosquitto >/dev/null 2>&1; then
    chown -R mosquitto:mosquitto "$data_dir/passwords" "$data_dir/acl" "$data_dir/certs"
fi

exec "$@"
