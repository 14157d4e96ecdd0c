#!/usr/bin/env bash
# Starts SimpleSAMLphp (Debian package) as a SAML 2.0 IdP on 127.0.0.1:PORT, with its state
# in RUN_DIR (fresh signing key and certificate each run). Service providers are registered
# by writing RUN_DIR/sps.json. Runs in the foreground; the caller stops it.
#   start.sh RUN_DIR PORT
set -euo pipefail
run="$1"; port="$2"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$run"/{cert,log,data,tmp,metadata,sessions}
cp "$here"/metadata/*.php "$run/metadata/"
[ -f "$run/sps.json" ] || echo '[]' > "$run/sps.json"
if [ ! -f "$run/cert/idp.key" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Liaison test IdP" \
        -keyout "$run/cert/idp.key" -out "$run/cert/idp.crt" 2>/dev/null
fi
export LIAISON_SSP_RUN="$run" SIMPLESAMLPHP_CONFIG_DIR="$here/config"
exec php -d variables_order=EGPCS -S "127.0.0.1:$port" -t /usr/share/simplesamlphp/www
