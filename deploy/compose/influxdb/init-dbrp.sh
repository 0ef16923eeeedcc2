#!/bin/bash
# Runs once, after the official image's first-start setup (DOCKER_INFLUXDB_INIT_MODE=setup), with the
# influx CLI already configured with the operator token.
# 1. A DBRP mapping, so InfluxQL (the dashboards and the Grafana alert rules) finds the bucket as a database.
# 2. A read-only v1 user for Grafana's InfluxQL data source (username and password, least privilege).
set -euo pipefail

influx v1 dbrp create \
  --org "${DOCKER_INFLUXDB_INIT_ORG}" \
  --bucket-id "${DOCKER_INFLUXDB_INIT_BUCKET_ID}" \
  --db "${GOVPULSE_INFLUXDB_DATABASE}" \
  --rp autogen \
  --default

influx v1 auth create \
  --org "${DOCKER_INFLUXDB_INIT_ORG}" \
  --username "${GOVPULSE_INFLUXDB_GRAFANA_USER}" \
  --password "${GOVPULSE_INFLUXDB_GRAFANA_PASSWORD}" \
  --read-bucket "${DOCKER_INFLUXDB_INIT_BUCKET_ID}" \
  --description "Grafana (govpulse dashboards, read only)"
