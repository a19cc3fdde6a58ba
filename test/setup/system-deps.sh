#!/usr/bin/env bash
# Installs, where missing, the real peers the suite runs against (Debian packages):
#   chromium            a real browser for the admin pages and PDFs (puppeteer never downloads one)
#   freeradius-utils    radclient, an independent RADIUS client for the accounting server
#   freeradius          the reference accounting server the RADIUS benchmark compares against
#   freeradius-rest     rlm_rest, so the AAA e2e test can run FreeRADIUS against the plugin's authorize endpoint
#   python3-librouteros an independent RouterOS API client for the simulator
#   poppler-utils       pdftotext/pdftoppm to read generated PDFs
#   php-cli, php-curl, zip, unzip  the UISP CRM plugin's PHP (php -l, php -S) and its ZIP
# and makes sure the MariaDB server the MySQL suite needs is running.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v radclient >/dev/null 2>&1 || missing+=(freeradius-utils)
command -v freeradius >/dev/null 2>&1 || missing+=(freeradius)
[ -e /usr/lib/freeradius/rlm_rest.so ] || missing+=(freeradius-rest)
/usr/bin/python3 -c 'import librouteros' >/dev/null 2>&1 || missing+=(python3-librouteros)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
command -v php >/dev/null 2>&1 || missing+=(php-cli)
{ command -v php >/dev/null 2>&1 && php -m | grep -qx curl; } || missing+=(php-curl)
command -v zip >/dev/null 2>&1 || missing+=(zip)
command -v unzip >/dev/null 2>&1 || missing+=(unzip)

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: need root to install ${missing[*]} (or install them yourself)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The MySQL suite: start the local MariaDB server if it is installed and not answering.
if [ -x /usr/sbin/mariadbd ] && ! mysqladmin --protocol=tcp -h127.0.0.1 -uroot status >/dev/null 2>&1; then
  echo "starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
  for _ in $(seq 1 30); do
    mysqladmin --protocol=tcp -h127.0.0.1 -uroot status >/dev/null 2>&1 && break
    sleep 1
  done
fi
