"""Discovery messages as Zigbee2MQTT and Tasmota publish them (written from their documentation and the shape of
Home Assistant's MQTT discovery): a water-leak sensor and a temperature sensor behind Zigbee2MQTT, a Tasmota
energy plug with abbreviated keys (SetOption19 1, the legacy Home Assistant discovery)."""

from __future__ import annotations

import json

Z2M_IEEE = "0x00158d0008a1b2c3"
Z2M_LEAK = (
    f"homeassistant/binary_sensor/{Z2M_IEEE}/water_leak/config",
    json.dumps(
        {
            "availability": [{"topic": "zigbee2mqtt/bridge/state", "value_template": "{{ value_json.state }}"}],
            "device": {
                "identifiers": [f"zigbee2mqtt_{Z2M_IEEE}"],
                "manufacturer": "Aqara",
                "model": "Water leak sensor (SJCGQ11LM)",
                "name": "leak_b1_pump",
                "via_device": "zigbee2mqtt_bridge_0x00124b0029f1e2d3",
            },
            "device_class": "moisture",
            "object_id": "leak_b1_pump_water_leak",
            "origin": {"name": "Zigbee2MQTT", "sw": "1.40.2", "url": "https://www.zigbee2mqtt.io"},
            "payload_off": False,
            "payload_on": True,
            "state_topic": "zigbee2mqtt/leak_b1_pump",
            "unique_id": f"{Z2M_IEEE}_water_leak_zigbee2mqtt",
            "value_template": "{{ value_json.water_leak }}",
        }
    ),
)
Z2M_LEAK_STATE = (
    "zigbee2mqtt/leak_b1_pump",
    json.dumps({"battery": 97, "battery_low": False, "device_temperature": 27, "linkquality": 132,
                "power_outage_count": 6, "tamper": False, "voltage": 3005, "water_leak": True}),
)  # fmt: skip

Z2M_TEMP_IEEE = "0x00158d0004c5d6e7"
Z2M_TEMP = (
    f"homeassistant/sensor/{Z2M_TEMP_IEEE}/temperature/config",
    json.dumps(
        {
            "availability": [{"topic": "zigbee2mqtt/bridge/state", "value_template": "{{ value_json.state }}"}],
            "device": {
                "identifiers": [f"zigbee2mqtt_{Z2M_TEMP_IEEE}"],
                "manufacturer": "Aqara",
                "model": "Temperature and humidity sensor (WSDCGQ11LM)",
                "name": "temp_b1_pump",
            },
            "device_class": "temperature",
            "enabled_by_default": True,
            "object_id": "temp_b1_pump_temperature",
            "origin": {"name": "Zigbee2MQTT", "sw": "1.40.2", "url": "https://www.zigbee2mqtt.io"},
            "state_class": "measurement",
            "state_topic": "zigbee2mqtt/temp_b1_pump",
            "unique_id": f"{Z2M_TEMP_IEEE}_temperature_zigbee2mqtt",
            "unit_of_measurement": "°C",
            "value_template": "{{ value_json.temperature }}",
        }
    ),
)
Z2M_TEMP_STATE = ("zigbee2mqtt/temp_b1_pump", '{"battery":100,"humidity":61.2,"linkquality":87,"pressure":1008,'
                  '"temperature":24.6,"voltage":3055}')  # fmt: skip

TASMOTA_MAC = "A4CF12B3C4D5"
TASMOTA_ENERGY = (
    f"homeassistant/sensor/{TASMOTA_MAC}_ENERGY_Total/config",
    json.dumps(
        {
            "name": "Pump Plug ENERGY Total",
            "stat_t": "tele/pump_plug/SENSOR",
            "avty_t": "tele/pump_plug/LWT",
            "pl_avail": "Online",
            "pl_not_avail": "Offline",
            "uniq_id": f"{TASMOTA_MAC}_ENERGY_Total",
            "dev": {"ids": [TASMOTA_MAC]},
            "unit_of_meas": "kWh",
            "dev_cla": "energy",
            "stat_cla": "total_increasing",
            "frc_upd": True,
            "val_tpl": "{{value_json['ENERGY']['Total']}}",
        }
    ),
)
TASMOTA_STATE = (
    "tele/pump_plug/SENSOR",
    json.dumps({"Time": "2026-12-05T10:15:00", "ENERGY": {
        "TotalStartTime": "2026-01-10T08:00:00", "Total": 812.345, "Yesterday": 2.104, "Today": 0.987, "Period": 3,
        "Power": 405, "ApparentPower": 420, "ReactivePower": 110, "Factor": 0.96, "Voltage": 229, "Current": 1.832,
    }}),
)  # fmt: skip
TASMOTA_LWT = ("tele/pump_plug/LWT", "Online")
