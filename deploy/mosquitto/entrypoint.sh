#!/bin/sh
# Start-up of the eclipse-mosquitto container: write the private files, then run the command.
# Passwords live only in the environment (.env) and, hashed, in the data volume; the ACL is copied
# there too because Mosquitto wants both files owned by its user and unreadable by others.
set -eu

data_dir=${MOSQUITTO_DATA_DIR:-/mosquitto/data}
config_dir=$(dirname "$0")

umask 077
mkdir -p "$data_dir"
rm -f "$data_dir/passwords"
mosquitto_passwd -c -b "$data_dir/passwords" facilities-hub "${MQTT_HUB_PASSWORD:?MQTT_HUB_PASSWORD is not set}"
mosquitto_passwd -b "$data_dir/passwords" facilities-device "${MQTT_DEVICE_PASSWORD:?MQTT_DEVICE_PASSWORD is not set}"
cp "$config_dir/acl" "$data_dir/acl"
if id mosquitto >/dev/null 2>&1; then
    chown mosquitto:mosquitto "$data_dir/passwords" "$data_dir/acl"
fi

exec "$@"
