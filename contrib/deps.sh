#!/bin/sh
# Installs what building, testing and the demo need on Debian 12, if any of
# it is missing. Runs apt-get through sudo when not root.
set -e
pkgs="autoconf automake pkg-config make gcc libmicrohttpd-dev libssl-dev
libjansson-dev libsqlite3-dev libcurl4-openssl-dev libinih-dev libsystemd-dev
libcmocka-dev sqlite3 curl jq openssl git nginx-light haproxy chromium wrk
clang-format clang libfuzzer-14-dev libseccomp-dev prometheus mandoc man-db groff-base bsdextrautils systemd
dpkg-dev debhelper lintian fakeroot"
missing=
for p in $pkgs
do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
